// C0 controls, DEL and the C1 controls (U+0080–U+009F; U+009B alone starts a terminal escape sequence).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g

const visible = (c: string): string => {
  const code = c.charCodeAt(0)
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/**
 * Text safe to print on a terminal: control characters become visible escapes (`\x1b`). Names come
 * from listings that anyone may have written (an S3 key, a file name with ESC in it): printed raw,
 * they could move the cursor, rewrite the screen or set the window title. `keepNewlines` lets a
 * message keep the line breaks syncflow put in it; a name never keeps them.
 */
export function printable(text: string, keepNewlines = false): string {
  return text.replace(keepNewlines ? CONTROL_BUT_NEWLINE : CONTROL, visible)
}

/**
 * A name (a path) safe to print and never mistaken for another. The rule, close to GNU ls's default
 * (`shell-escape`: a plain name is shown bare, only one that needs it is quoted) and to rsync (which
 * escapes a backslash only where it could read as one of its own escapes):
 * - a name is printed as it is, backslashes and all, unless it holds a control character or
 *   starts with `"`;
 * - such a name is printed between double quotes, with `\` and `"` escaped by a backslash and its
 *   controls as `\xHH` (`"tab\x09name"`).
 * So a printed name starting with `"` is always the quoted form, and in a bare one a backslash is
 * always itself: `t\x09.txt` (those four characters), `"t\x09.txt"` (a tab) and `"\"t\\x09.txt\""`
 * (the name `"t\x09.txt"`, quotes included) are three names (QA: the last two printed alike).
 */
export function printableName(name: string): string {
  CONTROL.lastIndex = 0
  return CONTROL.test(name) || name.startsWith('"') ? `"${printable(name.replace(/[\\"]/g, '\\$&'))}"` : name
}

/**
 * An error message safe to print, its ` (path)` (see `SyncError`) printed as `printableName` prints
 * the path: escaped in place, a tab in it read as a name with a literal `\x09`.
 */
export function printableMessage(message: string, path: string | undefined): string {
  if (path === undefined) return printable(message)
  const shown = printableName(path)
  const at = shown === path ? -1 : message.indexOf(` (${path}): `)
  if (at < 0) return printable(message)
  const end = at + path.length + 3
  return `${printable(message.slice(0, at))} (${shown})${printable(message.slice(end))}`
}
