import { SyncError } from '@syncflow/core'

const refusals = new WeakSet<SyncError>()

/**
 * The refusal of a call that would change the tree of a `syncflow serve --read-only` (rsync's
 * daemon `read only = yes`, rclone serve's `--read-only`): PERMISSION, naming the flag. `op` is the
 * service's call; `what` says what was refused, for a message that reads on its own.
 */
export function readOnlyRefusal(
  op: string,
  what = 'it takes no writes, removes, renames or changes of metadata',
): SyncError {
  const err = new SyncError('PERMISSION', `this server is read-only (syncflow serve --read-only): ${what}`, {
    op: `serve.${op}`,
    hint: 'Sync from it, not into it; to write there, restart `syncflow serve` without --read-only.',
  })
  refusals.add(err)
  return err
}

/** True for an error `readOnlyRefusal` made: its hint is the server's own, not the permission hint about paths. */
export function isReadOnlyRefusal(err: unknown): boolean {
  return err instanceof SyncError && refusals.has(err)
}
