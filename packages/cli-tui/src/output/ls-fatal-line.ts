import type { SyncError } from '@syncflow/core'

/**
 * The last line of `ls --json` when the listing could not be made at all (exit 2): `{"fatal": …}`,
 * the error as `summary.fatal` of the `done` that ends `sync`/`check`/`watch --json` (QA 23 #8: a
 * script read nothing on stdout and had to scrape stderr). Not a `done` event: `ls --json` prints
 * entries, not events, so a line without `path` is this one; the error stays on stderr too.
 */
export function lsFatalLine(error: SyncError): string {
  return `${JSON.stringify({ fatal: error.toJSON() })}\n`
}
