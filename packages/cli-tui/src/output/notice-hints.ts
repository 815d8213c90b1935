import type { NoticeCode } from '@syncflow/core'

/** What the user can do about a notice, in terms of CLI flags (the engine knows no flags). */
export const NOTICE_HINTS: Partial<Record<NoticeCode, string>> = {
  EMPTY_SOURCE: 'If the source is meant to be empty, run again with --allow-empty-source to empty the target.',
  MAX_DELETE: 'Check the source first; if the deletes are intended, raise --max-delete or leave it out.',
  NO_COMMON_HASH: 'The two sides share no hash algorithm, so --checksum compares sizes only.',
}
