import { describe, expect, it } from 'vitest'
import { errorsPage, scrollErrors } from '../../src/ui/errors-scroll.js'
import type { ErrorView } from '../../src/ui/sync-view-state.js'

/** Error `id`, whose message wraps to `lines - 1` lines at width 20 (plus its head line). */
const err = (id: number, lines = 3): ErrorView => ({
  id,
  ts: 0,
  path: `f${id}`,
  code: 'IO',
  stage: 'transfer',
  message: Array.from({ length: lines - 1 }, (_, i) => `line${i}-of-${id}`.padEnd(17, '.')).join(' '),
})
const errors = (n: number): ErrorView[] => Array.from({ length: n }, (_, i) => err(i + 1))
const texts = (p: { lines: readonly { text: string }[] }) => p.lines.map((l) => l.text)

describe('errorsPage', () => {
  it('shows the newest first, whole, as many lines as fit', () => {
    const p = errorsPage(errors(4), 20, 5, undefined)
    expect(texts(p)).toEqual([
      '✗ IO f4',
      '  line0-of-4.......',
      '  line1-of-4.......',
      '✗ IO f3',
      '  line0-of-3.......',
    ])
    expect(p).toMatchObject({ top: 0, total: 12, firstError: 1, lastError: 2 })
  })

  it('shows everything when it fits', () => {
    expect(errorsPage(errors(1), 20, 10, undefined)).toMatchObject({ top: 0, total: 3, firstError: 1, lastError: 1 })
    expect(errorsPage([], 20, 10, undefined)).toMatchObject({ lines: [], total: 0, firstError: 0, lastError: 0 })
  })
})

describe('scrollErrors', () => {
  const all = errors(4) // 12 lines; 5 rows: the last full page starts at line 7
  const step = (at: ReturnType<typeof scrollErrors>, unit: 'line' | 'page' | 'all', dir: -1 | 1) =>
    scrollErrors(all, 20, 5, at, { unit, dir })

  it('moves by a line, a page (one line kept) and all the way, within the top and the last full page', () => {
    const down1 = step(undefined, 'line', 1)
    expect(down1).toEqual({ id: 4, line: 1 })
    expect(errorsPage(all, 20, 5, down1).top).toBe(1)
    expect(step(undefined, 'line', -1)).toBeUndefined()
    const page = step(undefined, 'page', 1)
    expect(errorsPage(all, 20, 5, page).top).toBe(4)
    expect(texts(errorsPage(all, 20, 5, page))[0]).toBe('  line0-of-3.......')
    const bottom = step(page, 'all', 1)
    expect(errorsPage(all, 20, 5, bottom)).toMatchObject({ top: 7, firstError: 3, lastError: 4 })
    expect(texts(errorsPage(all, 20, 5, bottom)).at(-1)).toBe('  line1-of-1.......')
    expect(step(bottom, 'line', 1)).toEqual(bottom)
    expect(step(bottom, 'page', 1)).toEqual(bottom)
    expect(step(bottom, 'all', -1)).toBeUndefined()
  })

  it('keeps what is read in place when newer errors come in above it', () => {
    const at = step(undefined, 'page', 1)
    const before = texts(errorsPage(all, 20, 5, at))
    const more = [...all, err(5), err(6)]
    expect(texts(errorsPage(more, 20, 5, at))).toEqual(before)
    // At the top it follows the newest.
    expect(texts(errorsPage(more, 20, 5, undefined))[0]).toBe('✗ IO f6')
  })

  it('goes to the bottom when the error it was at is no longer kept, and stays within a shorter list', () => {
    const at = { id: 1, line: 1 }
    expect(errorsPage(all.slice(1), 20, 5, at).top).toBe(4)
    expect(errorsPage(all.slice(3), 20, 5, { id: 4, line: 9 }).top).toBe(0)
  })
})
