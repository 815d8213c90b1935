import type { JobFlags } from '../options/job-flags.js'
import { assertTildeExpanded } from './assert-tilde-expanded.js'

/**
 * Refuses a `--token-file` or `--ca-file` (files a grpc:// backend reads) that starts with a `~` no
 * shell expanded (`'~/token'` quoted): it failed at the backend's open with Node's raw ENOENT, where
 * every other path flag says what happened (`assertTildeExpanded`). A config file's are checked,
 * and made absolute, as it is read.
 * @throws SyncError `USAGE`
 */
export function assertFlagFilesExpanded(flags: Pick<JobFlags, 'tokenFile' | 'caFile'>): void {
  if (flags.tokenFile !== undefined) assertTildeExpanded('--token-file', flags.tokenFile)
  if (flags.caFile !== undefined) assertTildeExpanded('--ca-file', flags.caFile)
}
