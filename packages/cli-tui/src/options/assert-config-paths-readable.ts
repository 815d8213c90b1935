import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import { schemeOf } from '@syncflow/core'
import { usageError } from '../errors/usage-error.js'

/** A file a config file names for a backend to read (`token-file`, `ca-file`), and where it was named. */
export interface ConfigPath {
  /** The flag's attribute name: `tokenFile` or `caFile`. */
  readonly key: ConfigPathKey
  /** The key as the file spells it (`token-file`), which the message quotes. */
  readonly rawKey: string
  /** The value as the file gives it (relative to the file's directory). */
  readonly given: string
  /** The value made absolute: what the backend reads. */
  readonly path: string
  /** The config file. */
  readonly file: string
}

export type ConfigPathKey = 'tokenFile' | 'caFile'

/** The flags whose value is a file a backend reads, the schemes that read it, and what to give instead. */
const READ_BY: Readonly<Record<ConfigPathKey, { readonly schemes: readonly string[]; readonly hint: string }>> = {
  tokenFile: { schemes: ['grpc', 'grpcs'], hint: 'Give a readable file whose first line is the token.' },
  // grpc:// refuses a CA file with its own message (only grpcs:// uses one): not checked for it here.
  caFile: { schemes: ['grpcs'], hint: 'Give a readable PEM file of the CA certificate.' },
}

/** True for the flags whose config value is a file that a backend reads (checked by `assertConfigPathsReadable`). */
export function isConfigPathKey(key: string): key is ConfigPathKey {
  return Object.hasOwn(READ_BY, key)
}

/**
 * Checks that each file a config file names is readable, for the `locations` that read it: a
 * `token-file` for grpc:// and grpcs://, a `ca-file` for grpcs://. One config file serves all of a
 * job's commands (as rclone's config names remotes that a command may not use), so a file that this
 * command does not read (a local → local sync) is not checked. The backend that reads the file knows
 * only the flag; the message here names the config file and its key.
 * @throws SyncError USAGE (exit 2) naming the key, the file and why it cannot be read.
 */
export async function assertConfigPathsReadable(
  paths: readonly ConfigPath[] | undefined,
  locations: readonly string[],
): Promise<void> {
  for (const p of paths ?? []) {
    const { schemes, hint } = READ_BY[p.key]
    const reader = locations.find((l) => schemes.includes(schemeOf(l)))
    if (reader === undefined) continue
    try {
      await access(p.path, constants.R_OK)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      const why =
        code === 'ENOENT'
          ? 'no such file'
          : code === 'EACCES'
            ? 'not readable (permission denied)'
            : err instanceof Error
              ? err.message
              : String(err)
      const where = p.path === p.given ? '' : ` (${p.path})`
      throw usageError(
        `config file ${p.file}: "${p.rawKey}" ${JSON.stringify(p.given)}${where}: ${why} (needed for ${reader})`,
        `A path in a config file is relative to the file's directory. ${hint}`,
      )
    }
  }
}
