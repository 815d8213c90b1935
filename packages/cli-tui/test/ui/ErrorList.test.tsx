import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { ErrorList } from '../../src/ui/ErrorList.js'
import type { ErrorView } from '../../src/ui/sync-view-state.js'

let id = 0
const err = (path: string): ErrorView => ({
  id: ++id,
  ts: 0,
  path,
  code: 'PERMISSION',
  message: 'denied',
  stage: 'transfer',
})

describe('ErrorList', () => {
  it('shows the latest errors first, within the rows given', () => {
    const { lastFrame } = render(
      <ErrorList errors={[err('a'), err('b'), err('c')]} total={12} rows={3} width={80} color={false} />,
    )
    expect((lastFrame() ?? '').split('\n')).toEqual([
      'Errors (12) · e: all errors',
      '✗ PERMISSION c: denied',
      '✗ PERMISSION b: denied',
    ])
  })

  it('renders nothing without errors', () => {
    const { lastFrame } = render(<ErrorList errors={[]} total={0} rows={3} width={80} color={false} />)
    expect(lastFrame()).toBe('')
  })
})
