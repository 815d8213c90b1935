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
 * A name (a path) safe to print and never mistaken for another: as it is when it has no control
 * character, else quoted, with its controls, `\` and `"` escaped (`"tab\x09name"`). Escaped in
 * place, a tab's `\x09` read the same as a name with the four characters `\x09` in it, valid
 * since a backslash is an ordinary character of a name (QA).
 */
export function printableName(name: string): string {
  CONTROL.lastIndex = 0
  return CONTROL.test(name) ? `"${printable(name.replace(/[\\"]/g, '\\$&'))}"` : name
}
