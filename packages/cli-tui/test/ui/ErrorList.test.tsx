import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { ErrorList, errorLine, shortMessage } from '../../src/ui/ErrorList.js'
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

  it('does not repeat the code and path a SyncError message starts with', () => {
    const e = {
      ...err('locked/l1.txt'),
      message: 'PERMISSION: local.write (locked/l1.txt): EPERM: operation not permitted',
    }
    expect(shortMessage(e)).toBe('EPERM: operation not permitted')
    expect(errorLine(e, 80)).toBe('PERMISSION locked/l1.txt: EPERM: operation not permitted')
    // Without the op prefix, or about another path, the message stays whole.
    expect(shortMessage({ ...e, message: 'denied' })).toBe('denied')
    expect(shortMessage({ ...e, message: 'PERMISSION: local.list (other): EACCES' })).toBe(
      'PERMISSION: local.list (other): EACCES',
    )
  })

  it('names whose listing failed, as the line output does (QA 10 #8)', () => {
    const e: ErrorView = {
      ...err(''),
      stage: 'list',
      side: 'target',
      message: 'PERMISSION: bad.list: late list failure',
    }
    expect(errorLine(e, 80)).toBe('PERMISSION (target list): late list failure')
    const { lastFrame } = render(<ErrorList errors={[e]} total={1} rows={3} width={80} color={false} />)
    expect(lastFrame()).toContain('✗ PERMISSION (target list): late list failure')
  })
})
