import { usageError } from '../errors/usage-error.js'

/**
 * Refuses a location argument that names nothing: empty (an unset shell variable would mean the
 * current directory), or blanks alone, more likely a slip than meant, so still refused but not as
 * "an empty path": a directory may be so named (rsync takes it), and the hint says how to name it
 * (QA 29e). `what` names the argument (`the source`, `--backup-dir`), `give` what to give instead.
 * @throws SyncError `USAGE`
 */
export function assertPathGiven(what: string, value: string, give: string): void {
  if (value === '') throw usageError(`${what} is an empty path`, `Give ${give}`)
  if (value.trim() === '') {
    throw usageError(
      `${what} ${JSON.stringify(value)} is only blanks`,
      `For a directory of that name write ./${value}; else give ${give}`,
    )
  }
}
