/**
 * How a service takes `If-Match` on PutObject: with the ETag quoted (RFC 7232, AWS), unquoted (Ceph
 * radosgw 16 compares the raw header with the bare ETag: the quoted form always fails), or not at
 * all (`none`: a service that ignores the header, or one whose form we could not find).
 */
export type IfMatchForm = 'quoted' | 'unquoted' | 'none'

/** What a conditional PUT answers when the service refused it on its precondition (412, or 404 for a gone object). */
export const PRECONDITION_FAILED: unique symbol = Symbol('precondition failed')

/** The `If-Match` value for `etag` (bare, as the listing gives it) in the service's form. */
export function ifMatchValue(form: 'quoted' | 'unquoted', etag: string): string {
  return form === 'quoted' ? `"${etag}"` : etag
}

/**
 * An ETag no object has (ETags are hex, with `-N` for multipart): a service that honours If-Match
 * refuses a PUT with it, one that ignores the header writes.
 */
const NO_SUCH_ETAG = 'syncflow-probe-no-such-etag'

/**
 * Writes one object while learning whether (and in which form) the service honours `If-Match` on
 * PutObject, so that every later update needs only its PUT: the re-check before replacing an object
 * is then done by the service itself, atomically, instead of by a HEAD just before (two requests,
 * and a window in which a concurrent writer can still be overwritten).
 *
 * Safe on any service: `check` (the HEAD re-check) runs first, so a service that ignores the header
 * gets exactly the guard it would get without this. Then:
 * 1. a PUT with an ETag no object has: written → the header is ignored (`none`); refused → honoured;
 * 2. a PUT with the expected ETag quoted, then unquoted: the first one written gives the form;
 * 3. both refused: the object changed since `check` (then `check` throws CONFLICT), or the service
 *    wants a form we do not know: `none`, and an unconditional PUT after `check`.
 * The body goes up to three times: the caller probes only with a small one.
 */
export async function learnIfMatch<T>(
  etag: string,
  check: () => Promise<void>,
  put: (ifMatch: string | undefined) => Promise<T | typeof PRECONDITION_FAILED>,
): Promise<{ readonly form: IfMatchForm; readonly written: T }> {
  await check()
  const ignored = await put(ifMatchValue('quoted', NO_SUCH_ETAG))
  if (ignored !== PRECONDITION_FAILED) return { form: 'none', written: ignored }
  for (const form of ['quoted', 'unquoted'] as const) {
    const written = await put(ifMatchValue(form, etag))
    if (written !== PRECONDITION_FAILED) return { form, written }
  }
  await check()
  const written = await put(undefined)
  if (written === PRECONDITION_FAILED) throw new Error('a PUT without If-Match cannot fail on it')
  return { form: 'none', written }
}
