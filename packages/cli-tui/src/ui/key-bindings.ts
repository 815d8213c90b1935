import type { ScrollStep } from './errors-scroll.js'

/** The screens of the UI. */
export type Screen = 'dashboard' | 'errors' | 'help'

/** What a key press asks for. */
export type KeyCommand =
  | { readonly type: 'toggle-pause' }
  | { readonly type: 'quit' }
  | { readonly type: 'suspend' }
  | { readonly type: 'show'; readonly screen: Screen }
  | ({ readonly type: 'scroll' } & ScrollStep)
  | { readonly type: 'none' }

/** The keys that move a screen, as Ink reports them. */
export interface KeyFlags {
  readonly escape?: boolean
  readonly ctrl?: boolean
  readonly upArrow?: boolean
  readonly downArrow?: boolean
  readonly pageUp?: boolean
  readonly pageDown?: boolean
  readonly home?: boolean
  readonly end?: boolean
}

/** The scroll keys of the errors screen: ↑ ↓ or k j a line, PgUp PgDn (b, Space) a page, Home End (g, G) all the way. */
function scrollStep(input: string, key: KeyFlags): ScrollStep | undefined {
  if (key.upArrow || input === 'k') return { unit: 'line', dir: -1 }
  if (key.downArrow || input === 'j') return { unit: 'line', dir: 1 }
  if (key.pageUp || input === 'b') return { unit: 'page', dir: -1 }
  if (key.pageDown || input === ' ') return { unit: 'page', dir: 1 }
  if (key.home || input === 'g') return { unit: 'all', dir: -1 }
  if (key.end || input === 'G') return { unit: 'all', dir: 1 }
  return undefined
}

/**
 * The key presses in one input as Ink hands it over. Keys typed faster than the process reads them
 * (a double `q`, or any keys while a busy run holds the event loop) reach it as one chunk, and Ink
 * passes a chunk of plain characters whole (`qq`, `pe`, `q` then Ctrl-C as `q\x03`): matched as one
 * key, none of them did anything (QA 27a: `q q`, "again: at once", neither stopped nor left). Each
 * character is one key; a control character is Ctrl and its letter, as Ink reports one alone. Ink
 * splits escape sequences (arrows, Esc) off by itself: they come alone, their input empty.
 */
export function keyPresses(input: string, key: KeyFlags): readonly (readonly [string, KeyFlags])[] {
  const chars = Array.from(input)
  if (chars.length < 2 || key.ctrl || key.escape) return [[input, key]]
  return chars.map((ch) => {
    const code = ch.codePointAt(0) ?? 0
    return code >= 1 && code <= 26 ? [String.fromCharCode(code + 96), { ctrl: true }] : [ch, {}]
  })
}

/**
 * Maps a key to a command: `p` pause/resume, `q` quit, `e` errors (again: back), `?` help (again:
 * back), Esc back to the dashboard; Ctrl-C is `q`; Ctrl-Z suspends (`fg` resumes). On the errors screen, the scroll keys scroll.
 */
export function keyCommand(input: string, key: KeyFlags, screen: Screen): KeyCommand {
  // In raw mode the terminal sends Ctrl-C as a key, not as SIGINT.
  if (key.ctrl && input === 'c') return { type: 'quit' }
  // Nor Ctrl-Z as SIGTSTP: it suspends the UI as in a shell, the terminal handed back (QA 31a: it did nothing).
  if (key.ctrl && input === 'z') return { type: 'suspend' }
  if (key.escape) return screen === 'dashboard' ? { type: 'none' } : { type: 'show', screen: 'dashboard' }
  if (screen === 'errors') {
    const step = scrollStep(input, key)
    if (step) return { type: 'scroll', ...step }
  }
  switch (input) {
    case 'p':
    case 'P':
      return { type: 'toggle-pause' }
    case 'q':
    case 'Q':
      return { type: 'quit' }
    case 'e':
    case 'E':
      return { type: 'show', screen: screen === 'errors' ? 'dashboard' : 'errors' }
    case '?':
    case 'h':
      return { type: 'show', screen: screen === 'help' ? 'dashboard' : 'help' }
    default:
      return { type: 'none' }
  }
}
