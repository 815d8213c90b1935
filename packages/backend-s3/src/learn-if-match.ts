/**
 * How a service takes `If-Match` on PutObject: with the ETag quoted (RFC 7232, AWS), unquoted (Ceph
 * radosgw 16 compares the raw header with the bare ETag: the quoted form always fails), or not at
 * all (`none`: a service that ignores the header, or one whose form we could not find).
 */
export type IfMatchForm = 'quoted' | 'unquoted' | 'none'

/** What a conditional PUT answers when the service refused it on its precondition (412, or 404 for a gone object). */
export const PRECONDITION_FAILED: unique symbol = Symbol('precondition failed')

/** What a conditional PUT answers when the service rejects the header itself (400 InvalidArgument, 501). */
export const CONDITION_UNSUPPORTED: unique symbol = Symbol('condition unsupported')

/** The `If-Match` value for `etag` (bare, as the listing gives it) in the service's form. */
export function ifMatchValue(form: 'quoted' | 'unquoted', etag: string): string {
  return form === 'quoted' ? `"${etag}"` : etag
}

/**
 * An ETag no object has (ETags are hex, with `-N` for multipart): a service that honours If-Match
 * refuses a PUT with it, one that ignores the header writes.
 */
export const NO_SUCH_ETAG = 'syncflow-probe-no-such-etag'

/**
 * Writes one object while learning whether (and in which form) the service honours `If-Match` on
 * PutObject, so that every later update needs only its PUT: the re-check before replacing an object
 * is then done by the service itself, atomically, instead of by a HEAD just before (two requests,
 * and a window in which a concurrent writer can still be overwritten).
 *
 * Safe on any service: `check` (the HEAD re-check) runs first, so a service that ignores the header
 * gets exactly the guard it would get without this. Then, for the quoted form and then the bare one:
 * 1. a PUT with an ETag no object has: written → the header is ignored (`none`); refused → this form
 *    is checked (a form is only taken once a wrong ETag in it has been refused);
 * 2. a PUT with the expected ETag in that form: written → that form.
 * A form the service rejects outright (400, 501) is skipped. When neither form wrote, the object
 * changed since `check` (then `check` throws CONFLICT), or the service wants a form we do not know:
 * `none`, and an unconditional PUT after `check`. The body goes up to four times: the caller
 * probes only with a small one.
 */
export async function learnIfMatch<T>(
  etag: string,
  check: () => Promise<void>,
  put: (ifMatch: string | undefined) => Promise<T | typeof PRECONDITION_FAILED | typeof CONDITION_UNSUPPORTED>,
): Promise<{ readonly form: IfMatchForm; readonly written: T }> {
  await check()
  for (const form of ['quoted', 'unquoted'] as const) {
    const wrong = await put(ifMatchValue(form, NO_SUCH_ETAG))
    if (wrong === CONDITION_UNSUPPORTED) continue
    if (wrong !== PRECONDITION_FAILED) return { form: 'none', written: wrong }
    const written = await put(ifMatchValue(form, etag))
    if (written === CONDITION_UNSUPPORTED) continue
    if (written !== PRECONDITION_FAILED) return { form, written }
  }
  await check()
  const written = await put(undefined)
  if (written === PRECONDITION_FAILED || written === CONDITION_UNSUPPORTED) {
    throw new Error('a PUT without If-Match cannot fail on it')
  }
  return { form: 'none', written }
}
