import type { Backend } from '@syncflow/core'

/**
 * Throws the error a listing of a root that does not exist gives, when it gives one (S3: "bucket …
 * does not exist at <endpoint>", with a hint to create it, or why its name is not valid); returns
 * when it lists nothing quietly (a missing directory, an empty prefix), leaving the generic message
 * to the caller. Used by `ls` and for a missing source (QA 17: a source bucket that did not exist,
 * or whose name was not valid, only got "the source … does not exist").
 */
export async function explainMissing(backend: Backend, signal: AbortSignal): Promise<void> {
  const it = backend.list({ signal })[Symbol.asyncIterator]()
  try {
    await it.next()
  } finally {
    await it.return?.()
  }
}
