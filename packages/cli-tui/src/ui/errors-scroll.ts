import { type ErrorLine, errorLines } from './error-lines.js'
import type { ErrorView } from './sync-view-state.js'

/**
 * Where the errors screen is scrolled to: its first line shown, as an error (`ErrorView.id`) and a
 * line of it, so that what the user reads stays in place while newer errors come in above it (or
 * the terminal is resized). Undefined: the top, the newest error first.
 */
export interface ErrorsScroll {
  readonly id: number
  readonly line: number
}

/** A scroll: a line, a page or all the way, up (-1, toward the newest) or down (1). */
export interface ScrollStep {
  readonly unit: 'line' | 'page' | 'all'
  readonly dir: -1 | 1
}

/** The lines of the errors screen that fit, and where they are. */
export interface ErrorsPage {
  /** The lines shown, each with a key unique on the page. */
  readonly lines: readonly (ErrorLine & { readonly key: string })[]
  /** Index of the first line shown (0 = the top). */
  readonly top: number
  /** Lines of all the errors kept. */
  readonly total: number
  /** Which errors the page shows some of, counted from the newest (1). 0 and 0 when none. */
  readonly firstError: number
  readonly lastError: number
}

interface Laid {
  readonly id: number
  /** Index of its first line among all. */
  readonly start: number
  readonly lines: readonly ErrorLine[]
}

/** Every kept error wrapped to `width`, newest first. (A hundred errors of a few lines each: cheap per frame.) */
function layout(errors: readonly ErrorView[], width: number): { laid: Laid[]; total: number } {
  const laid: Laid[] = []
  let total = 0
  for (let i = errors.length - 1; i >= 0; i--) {
    const e = errors[i] as ErrorView
    const lines = errorLines(e, width)
    laid.push({ id: e.id, start: total, lines })
    total += lines.length
  }
  return { laid, total }
}

/** The index of the first line shown for `at`, within 0 and the last full page. */
function topOf(laid: readonly Laid[], total: number, rows: number, at: ErrorsScroll | undefined): number {
  const last = Math.max(0, total - rows)
  if (at === undefined) return 0
  const e = laid.find((l) => l.id === at.id)
  // An error no longer kept was among the oldest: the bottom.
  if (e === undefined) return last
  return Math.min(last, e.start + Math.min(at.line, e.lines.length - 1))
}

/** The position of line `index`. */
function positionOf(laid: readonly Laid[], index: number): ErrorsScroll | undefined {
  if (index <= 0) return undefined
  for (let i = laid.length - 1; i >= 0; i--) {
    const e = laid[i] as Laid
    if (e.start <= index) return { id: e.id, line: index - e.start }
  }
  return undefined
}

/** The page of `rows` lines of the errors (newest first, each whole) at `at`. */
export function errorsPage(
  errors: readonly ErrorView[],
  width: number,
  rows: number,
  at: ErrorsScroll | undefined,
): ErrorsPage {
  const { laid, total } = layout(errors, width)
  const top = topOf(laid, total, rows, at)
  const lines: (ErrorLine & { key: string })[] = []
  let firstError = 0
  let lastError = 0
  laid.forEach((e, n) => {
    if (e.start + e.lines.length <= top || e.start >= top + rows) return
    if (firstError === 0) firstError = n + 1
    lastError = n + 1
    e.lines.forEach((l, i) => {
      const index = e.start + i
      if (index >= top && index < top + rows) lines.push({ ...l, key: `${e.id}:${i}` })
    })
  })
  return { lines, top, total, firstError, lastError }
}

/**
 * Where a scroll step from `at` leads, on a screen of `rows` lines: a page keeps one line of the
 * last for context; nothing goes past the top or the last full page.
 */
export function scrollErrors(
  errors: readonly ErrorView[],
  width: number,
  rows: number,
  at: ErrorsScroll | undefined,
  step: ScrollStep,
): ErrorsScroll | undefined {
  const { laid, total } = layout(errors, width)
  const last = Math.max(0, total - rows)
  const top = topOf(laid, total, rows, at)
  const by = step.unit === 'line' ? 1 : step.unit === 'page' ? Math.max(1, rows - 1) : total
  return positionOf(laid, Math.max(0, Math.min(last, top + step.dir * by)))
}
