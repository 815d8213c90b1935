/**
 * Reads a value keyv stored, as keyv's own `defaultDeserialize` (@keyv/serialize) reads it, faster.
 *
 * keyv's parses with a reviver, a JavaScript call for every value of every record, to turn
 * `":base64:…"` strings back into Buffers and to unescape strings that start with `:` (stored with
 * a second `:`). syncflow's records hold neither, and a reviver-less `JSON.parse` is several times
 * faster: a two-way pass over 10,000 files spent 7% of its CPU in keyv's reviver (profile of
 * 2026-12-07). So a text in which no string value can start with `:` (no `":` after the `:`, `[`
 * or `,` that opens a value) is parsed plainly, and any other goes through the same reviver as
 * keyv's: the result is the same for every text.
 */
export function keyvDeserialize<T>(data: string): T {
  return (ESCAPED.test(data) ? JSON.parse(data, revive) : JSON.parse(data)) as T
}

/** Where a string value (or array item) that starts with `:` would begin, in compact JSON. */
const ESCAPED = /[:[,]":/

/** keyv's reviver (@keyv/serialize 1.x `defaultDeserialize`). */
function revive(_key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value
  if (value.startsWith(':base64:')) return Buffer.from(value.slice(8), 'base64')
  return value.startsWith(':') ? value.slice(1) : value
}
