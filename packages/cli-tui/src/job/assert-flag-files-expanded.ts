import type { JobFlags } from '../options/job-flags.js'
import { assertTildeExpanded } from './assert-tilde-expanded.js'

/**
 * Refuses a `--token-file` or `--ca-file` (files a grpc:// backend reads) that starts with a `~` no
 * shell expanded (`'~/token'` quoted): it failed at the backend's open with Node's raw ENOENT, where
 * every other path flag says what happened (`assertTildeExpanded`). Only where something reads them
 * (a grpc:// location, or a plugin's backend, which may): otherwise the flag is warned about as
 * ignored (`unusedFlagWarnings`), and a refusal right under "ignored" failed a run that ran before.
 * A config file's are checked, and made absolute, as it is read.
 * @throws SyncError `USAGE`
 */
export function assertFlagFilesExpanded(
  flags: Pick<JobFlags, 'tokenFile' | 'caFile' | 'plugin'>,
  locations: readonly (string | undefined)[],
): void {
  const read = (flags.plugin?.length ?? 0) > 0 || locations.some((l) => l !== undefined && /^grpcs?:\/\//i.test(l))
  if (!read) return
  if (flags.tokenFile !== undefined) assertTildeExpanded('--token-file', flags.tokenFile)
  if (flags.caFile !== undefined) assertTildeExpanded('--ca-file', flags.caFile)
}
