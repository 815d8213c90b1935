import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { ErrorsView } from '../../src/ui/ErrorsView.js'

describe('ErrorsView', () => {
  it('lists the errors and how to go back', () => {
    const errors = [{ id: 1, ts: 0, path: 'x', code: 'NO_SPACE', message: 'disk full', stage: 'transfer' }]
    const { lastFrame } = render(<ErrorsView errors={errors} total={1} rows={10} width={80} color={false} />)
    expect(lastFrame()).toContain('NO_SPACE x: disk full')
    expect(lastFrame()).toContain('e or Esc: back')
  })

  it('says when there are none', () => {
    const { lastFrame } = render(<ErrorsView errors={[]} total={0} rows={10} width={80} color={false} />)
    expect(lastFrame()).toContain('No errors so far.')
  })
})
