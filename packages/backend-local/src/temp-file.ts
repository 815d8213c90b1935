import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'

/** Every temp file of a local write starts with this; such names are never listed. */
export const TEMP_PREFIX = '.syncflow-tmp-'
const TEMP_NAME = /^\.syncflow-tmp-(\d+)-[0-9a-f]{12}$/

/** A temp file older than this is stale even when its pid is alive (the pid may have been reused). */
export const STALE_TEMP_AGE_MS = 60 * 60 * 1000

/**
 * The temp path for writing `abs`: in the same directory (so the final rename is atomic, never a
 * copy across filesystems), named after our pid so another run can tell whether its owner is alive.
 */
export function tempPathFor(abs: string): string {
  counter = (counter + 1) % 0x100000000
  return join(dirname(abs), `${TEMP_PREFIX}${process.pid}-${runTag}${counter.toString(16).padStart(8, '0')}`)
}

/** Random per process, so a reused pid does not meet the temp names of the crashed run it replaces. */
const runTag = randomBytes(2).toString('hex')
let counter = 0

/** The owner pid of a temp file name, or `undefined` when the name is not one of ours. */
export function tempOwner(name: string): number | undefined {
  const m = TEMP_NAME.exec(name)
  return m ? Number(m[1]) : undefined
}

/** True when a temp file is left over from a run that cannot finish it any more. */
export function isStaleTemp(ownerPid: number, ctimeMs: number, now = Date.now()): boolean {
  // ctime, not mtime: a finished temp gets the source's (old) mtime just before its rename.
  return now - ctimeMs > STALE_TEMP_AGE_MS || !processAlive(ownerPid)
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as { code?: unknown }).code === 'EPERM'
  }
}
