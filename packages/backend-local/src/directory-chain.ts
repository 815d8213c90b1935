import { readFileSync } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, dirname } from 'node:path'

/**
 * Where a directory lies, by identity rather than by name: `ids[0]` is the directory itself
 * (`exists`) or, while it does not exist yet, its nearest existing ancestor; then every directory
 * above it up to `/`. Each id is `machine:device:inode`.
 */
export interface DirectoryChain {
  readonly exists: boolean
  readonly ids: readonly string[]
}

let machine: string | undefined

/**
 * The kernel that device and inode numbers belong to: Linux's boot id (shared by containers on one
 * kernel, where they do name the same files), else the host name.
 */
function machineId(): string {
  if (machine === undefined) {
    try {
      machine = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
    } catch {
      machine = `host:${hostname()}`
    }
  }
  return machine
}

/**
 * The chain of `abs` (see DirectoryChain). Two locations overlap when the first id of one that
 * exists is in the other's chain, whatever names lead to them: a symlink, a bind mount, or a
 * `syncflow serve` on this host whose served directory lies inside a local one (QA 10 #12), which
 * no comparison of paths or URIs can see.
 */
export async function directoryChain(abs: string): Promise<DirectoryChain> {
  const missing: string[] = []
  let current = abs
  let real: string | undefined
  while (real === undefined) {
    try {
      real = await realpath(current)
    } catch {
      const parent = dirname(current)
      if (parent === current) return { exists: false, ids: [] }
      missing.push(basename(current))
      current = parent
    }
  }
  const ids: string[] = []
  for (let dir = real; ; dir = dirname(dir)) {
    const st = await stat(dir).catch(() => undefined)
    if (st !== undefined) ids.push(`${machineId()}:${st.dev}:${st.ino}`)
    if (dirname(dir) === dir) break
  }
  // A file at the path is not a directory that could contain the other side.
  const exists = missing.length === 0 && ((await stat(real).catch(() => undefined))?.isDirectory() ?? false)
  return { exists, ids }
}
