import { statSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import {
  type BackendRegistry,
  type Entry,
  isRelPath,
  type OpenOptions,
  type RelPath,
  type StatOptions,
} from '@syncflow/core'
import { isBuiltinLocation } from './builtin-plugins.js'
import { localPathOf } from './local-path-of.js'

/**
 * The entry of the file that `location` names, as its parent location lists it (its name as the
 * path; a local symlink to a file as the symlink); undefined when it names no file. For a location that is not a directory (a local file, an
 * S3 object, a file on a syncflow server): `ls` lists it, and the other commands say "is a file"
 * rather than "does not exist" (QA: a user hunted for a typo that was not there). Any failure to
 * find out is "no file": only the error path of a command asks.
 *
 * Only for a built-in backend's location: a plugin's URI path need not be a hierarchy (json:// names
 * one file holding a tree), and its `open` may connect or create, so syncflow never opens a
 * "parent" the user did not give with it (QA 4a F12): a plugin's missing location is "does not exist".
 */
export async function fileAtLocation(
  registry: BackendRegistry,
  location: string,
  options: OpenOptions,
): Promise<Entry | undefined> {
  const entry = await statFromParent(registry, location, options)
  if (entry?.kind === 'file') return entry
  // A local symlink that leads to a file (splitLocation took the name only then): the parent
  // lists it as the link it is. It was "does not exist" (sync) or "the root is not a directory"
  // (ls), though `ls -l` shows it there (QA 29b).
  return entry?.kind === 'symlink' && localPathOf(location) !== undefined ? entry : undefined
}

/**
 * What a remote built-in location is when its parent lists a FIFO, socket or device under its name
 * (`a FIFO`, `a socket`, `a device`, as the server's notice says it); undefined otherwise. A local
 * one is `specialFileAt`'s. QA 29a: `sync grpc://host/pipe dst` said the source "does not exist".
 */
export async function specialAtLocation(
  registry: BackendRegistry,
  location: string,
  options: OpenOptions,
): Promise<string | undefined> {
  if (localPathOf(location) !== undefined) return undefined
  let said: string | undefined
  await statFromParent(registry, location, options, {
    onNotice: (n) => {
      if (n.code === 'SPECIAL_FILE_SKIPPED')
        said = / is (a FIFO|a socket|a device):/.exec(n.message)?.[1] ?? 'a special file'
    },
  })
  return said
}

/**
 * The stat of `location`'s last name by its parent location (a built-in one, opened for this call
 * alone; see `fileAtLocation` for why not a plugin's); undefined for a root, and on any failure.
 */
async function statFromParent(
  registry: BackendRegistry,
  location: string,
  options: OpenOptions,
  statOptions: StatOptions = {},
): Promise<Entry | undefined> {
  if (!isBuiltinLocation(location)) return undefined
  const split = splitLocation(location)
  if (split === undefined) return undefined
  try {
    const parent = await registry.open(split.parent, options)
    try {
      return await parent.stat(split.name, statOptions)
    } finally {
      await parent.close().catch(() => {})
    }
  } catch {
    return undefined
  }
}

/** `location` as its parent location and its last name; undefined for a root (nothing above it). */
function splitLocation(location: string): { parent: string; name: RelPath } | undefined {
  const local = localPathOf(location)
  if (local !== undefined) {
    let isFile = false
    try {
      isFile = statSync(local, { throwIfNoEntry: false })?.isFile() === true
    } catch {
      // ENOTDIR (a parent is a file), EACCES…: not a file we can name
    }
    const name = basename(local)
    return isFile && isRelPath(name) ? { parent: dirname(local), name } : undefined
  }
  // scheme://authority/path…: the last segment of the path, if there is one below the authority.
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/]*\/)(.*?)\/*$/i.exec(location)
  if (m === null) return undefined
  const path = m[2] as string
  const cut = path.lastIndexOf('/')
  const name = path.slice(cut + 1)
  if (name === '' || !isRelPath(name)) return undefined
  return { parent: `${m[1]}${cut < 0 ? '' : path.slice(0, cut)}`, name }
}
