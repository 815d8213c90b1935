import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RelPath, type SyncEvent, type SyncOptions, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterEach, expect } from 'vitest'
import { createLocalBackend } from '../src/index.js'

const made: string[] = []

/** A fresh temp directory, removed after the test. */
export async function tempDir(label = 'local'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `syncflow-${label}-`))
  made.push(dir)
  return dir
}

afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

/** A mirror (unless `opts` says otherwise) of one local directory into another; no item may fail. */
export async function syncLocal(src: string, dst: string, opts: Partial<SyncOptions> = {}): Promise<SyncEvent[]> {
  const events = await lastValueFrom(
    sync(createLocalBackend({ root: src }), createLocalBackend({ root: dst }), { mode: 'mirror', ...opts }).pipe(
      toArray(),
    ),
  )
  expect(events.filter((e) => e.type === 'failed')).toEqual([])
  return events
}

/** A string as a RelPath, for tests that feed paths directly. */
export const p = (path: string): RelPath => path as RelPath

/** The code of a SyncError (or the value itself when it is not one). */
export const codeOf = (err: unknown): unknown => (err as { code?: unknown } | null)?.code ?? err

/**
 * Runs `fn` with the effective uid/gid of `nobody`, so permission bits apply even when the tests
 * run as root (root ignores them); `own`, if given, is given to `nobody` first. `undefined` means it
 * cannot be done here (say so in a skip).
 */
export async function withoutRootPrivileges<T>(fn: () => Promise<T>, own?: string): Promise<{ value: T } | undefined> {
  if (process.getuid?.() !== 0) return { value: await fn() }
  if (!process.seteuid || !process.setegid) return undefined
  if (own !== undefined) execFileSync('chown', ['-R', '65534:65534', own])
  process.setegid(65534)
  process.seteuid(65534)
  try {
    return { value: await fn() }
  } finally {
    process.seteuid(0)
    process.setegid(0)
  }
}
