/** The screens of the UI. */
export type Screen = 'dashboard' | 'errors' | 'help'

/** What a key press asks for. */
export type KeyCommand =
  | { readonly type: 'toggle-pause' }
  | { readonly type: 'quit' }
  | { readonly type: 'show'; readonly screen: Screen }
  | { readonly type: 'none' }

/**
 * Maps a key to a command: `p` pause/resume, `q` quit, `e` errors (again: back), `?` help (again:
 * back), Esc back to the dashboard; Ctrl-C is `q`.
 */
export function keyCommand(
  input: string,
  key: { readonly escape?: boolean; readonly ctrl?: boolean },
  screen: Screen,
): KeyCommand {
  // In raw mode the terminal sends Ctrl-C as a key, not as SIGINT.
  if (key.ctrl && input === 'c') return { type: 'quit' }
  if (key.escape) return screen === 'dashboard' ? { type: 'none' } : { type: 'show', screen: 'dashboard' }
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
