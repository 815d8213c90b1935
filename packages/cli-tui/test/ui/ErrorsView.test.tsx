import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { ErrorsView } from '../../src/ui/ErrorsView.js'
import type { ErrorView } from '../../src/ui/sync-view-state.js'

/** Failure `i` as the local backend words it (a rename into an immutable file), with its hint. */
const rename = (i: number): ErrorView => ({
  id: i,
  ts: 0,
  path: `b${i}.txt`,
  code: 'PERMISSION',
  stage: 'transfer',
  message: `PERMISSION: local.copyFrom (b${i}.txt): EPERM: operation not permitted, rename '/tmp/qa-watch/u2/dst/.syncflow-tmp-4025-b19600000${i}' -> '/tmp/qa-watch/u2/dst/b${i}.txt'`,
  hint: 'Check the permissions of the file and its directory (or run as a user who may access it).',
})

const lines = (frame: string | undefined) => (frame ?? '').split('\n')

describe('ErrorsView', () => {
  it('lists the errors and how to go back', () => {
    const errors: ErrorView[] = [{ id: 1, ts: 0, path: 'x', code: 'NO_SPACE', message: 'disk full', stage: 'transfer' }]
    const { lastFrame } = render(<ErrorsView errors={errors} total={1} rows={10} width={80} color={false} />)
    expect(lines(lastFrame())).toEqual(['Errors (1) · newest first', '✗ NO_SPACE x', '  disk full', 'e or Esc: back'])
  })

  it('says when there are none', () => {
    const { lastFrame } = render(<ErrorsView errors={[]} total={0} rows={10} width={80} color={false} />)
    expect(lastFrame()).toContain('No errors so far.')
  })

  it('shows a long message whole at 80 columns, wrapped, with its hint (nothing cut off)', () => {
    const { lastFrame } = render(<ErrorsView errors={[rename(1)]} total={1} rows={22} width={80} color={false} />)
    const frame = lastFrame() ?? ''
    for (const l of lines(frame)) expect(l.length).toBeLessThanOrEqual(80)
    expect(frame).not.toContain('…')
    const text = lines(frame)
      .map((l) => l.trim())
      .join(' ')
    expect(text).toContain('✗ PERMISSION b1.txt')
    expect(text).toContain(
      "local.copyFrom: EPERM: operation not permitted, rename '/tmp/qa-watch/u2/dst/.syncflow-tmp-4025-b196000001' -> '/tmp/qa-watch/u2/dst/b1.txt'",
    )
    expect(text).toContain(
      'hint: Check the permissions of the file and its directory (or run as a user who may access it).',
    )
  })

  it('fits 80x24 when there are more errors than rows, and says where it is and how to scroll', () => {
    const errors = Array.from({ length: 12 }, (_, i) => rename(i + 1))
    const top = render(<ErrorsView errors={errors} total={150} rows={22} width={80} color={false} />).lastFrame()
    expect(lines(top)).toHaveLength(22)
    expect(lines(top)[0]).toBe('Errors (150, the latest 12 kept) · newest first')
    expect(lines(top)[1]).toBe('✗ PERMISSION b12.txt')
    expect(lines(top).at(-1)).toMatch(/^errors 1–4 of 12 · lines 1–20 of \d+ · ↑↓ PgUp PgDn: scroll · e or Esc: back$/)
    const further = render(
      <ErrorsView errors={errors} total={150} rows={22} width={80} at={{ id: 9, line: 0 }} color={false} />,
    ).lastFrame()
    expect(lines(further)[1]).toBe('✗ PERMISSION b9.txt')
    expect(lines(further).at(-1)).toMatch(/^errors 4–7 of 12 · lines 19–38 of /)
  })
})
