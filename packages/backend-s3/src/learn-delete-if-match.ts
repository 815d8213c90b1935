import {
  CONDITION_UNSUPPORTED,
  type IfMatchForm,
  ifMatchValue,
  NO_SUCH_ETAG,
  type PRECONDITION_FAILED,
} from './learn-if-match.js'

/** What a DeleteObject answers: the object is gone (deleted, or was not there), or a refusal. */
export type DeleteAnswer = 'deleted' | typeof PRECONDITION_FAILED | typeof CONDITION_UNSUPPORTED

/**
 * Finds out whether (and in which form) the service honours `If-Match` on DeleteObject (AWS does
 * since September 2025, with the ETag quoted; radosgw 16 ignores it and deletes), on a scratch
 * object the backend has just created with ETag `etag`: never on a user's object, since a service
 * that ignores the header deletes whatever the ETag says.
 *
 * For the quoted form and then the bare one: a DELETE with an ETag no object has: deleted → the
 * header is ignored (`none`); refused → this form is checked, and a DELETE with the scratch's own
 * ETag in it must then delete (a form is only taken once a wrong ETag in it was refused). A form
 * the service rejects outright (400, 501) is skipped. When no form is found, the scratch is
 * deleted without condition. Every path ends with the scratch deleted (the caller checks nothing).
 */
export async function learnDeleteIfMatch(
  etag: string,
  del: (ifMatch: string | undefined) => Promise<DeleteAnswer>,
): Promise<IfMatchForm> {
  for (const form of ['quoted', 'unquoted'] as const) {
    const wrong = await del(ifMatchValue(form, NO_SUCH_ETAG))
    if (wrong === CONDITION_UNSUPPORTED) continue
    if (wrong === 'deleted') return 'none'
    if ((await del(ifMatchValue(form, etag))) === 'deleted') return form
  }
  await del(undefined)
  return 'none'
}
