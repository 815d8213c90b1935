import { stat } from 'node:fs/promises'

/**
 * The warning for a `--token-file` other users may read, when a grpc:// location will read it, or
 * `undefined`. `syncflow serve` says so of its own token file (QA 26j), but a client's, the same
 * token, was read without a word (QA 30a #4): rsync refuses such a --password-file ("strict
 * modes"), ssh such a private key. Said, not refused, as serve does: a cron job set up so keeps
 * running. Not on Windows, where the mode bits do not say who may read.
 */
export async function tokenFileWarning(
  tokenFile: string | undefined,
  locations: readonly string[],
): Promise<string | undefined> {
  if (tokenFile === undefined || process.platform === 'win32') return undefined
  if (!locations.some((l) => /^grpcs?:\/\//i.test(l))) return undefined
  // A file that cannot be read is the backend's error to give, with its hint.
  const mode = await stat(tokenFile).then(
    (st) => st.mode & 0o777,
    () => 0,
  )
  if ((mode & 0o077) === 0) return undefined
  return `--token-file ${tokenFile} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}): any of them can use the server's token; chmod 600 ${tokenFile}`
}
