import type * as fs from 'node:fs'
import { firstValueFrom, toArray } from 'rxjs'
import { describe, expect, it, vi } from 'vitest'
import { createMemBackend } from '../src/backend/mem-backend.js'
import { sync } from '../src/engine/sync.js'
import { SyncError } from '../src/errors/sync-error.js'
import type { Action } from '../src/model/action.js'
import type { RelPath } from '../src/model/rel-path.js'
import type { DoneEvent, SyncEvent } from '../src/model/sync-event.js'
import { listAll, writeText } from '../src/testkit/index.js'
import { SpilledActions } from '../src/util/spilled-actions.js'

// Review 35 #4: a set-aside file that could not be read back (an I/O error of its disk) ended the
// run with the raw error, as UNKNOWN: "This looks like a bug in syncflow". The real file, with a
// read that fails (EIO) added on top while `failing`.
const failing = vi.hoisted(() => ({ read: false }))
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>()
  return {
    ...real,
    readSync: (...args: Parameters<typeof fs.readSync>) => {
      if (failing.read) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', syscall: 'read' })
      return real.readSync(...args)
    },
  }
})

const copyOf = (path: string): Action => ({
  kind: 'copy',
  path: path as RelPath,
  source: { path: path as RelPath, kind: 'file', size: 3, mtimeMs: 1_700_000_000_123.5, mode: 0o644 },
  reason: 'new file',
})

describe('SpilledActions read back', () => {
  it('fails with a SyncError naming the temporary file and what to do, not a bare error (a bug)', () => {
    const aside = new SpilledActions()
    // More than a 1 MiB chunk: written out to the file, to be read back from it.
    for (let i = 0; i < 6000; i++) aside.push(copyOf(`d/${'x'.repeat(200)}/${i}`))
    failing.read = true
    try {
      let err: unknown
      try {
        aside.shift()
      } catch (e) {
        err = e
      }
      expect(err).toMatchObject({ name: 'SyncError', code: 'TRANSIENT', op: 'transfer.setAside' })
      const { message, hint, path } = err as { message: string; hint: string; path: string }
      expect(path).toMatch(/syncflow-set-aside-[^/]+\/actions\.ndjson$/)
      expect(message).toContain(`the temporary file ${path} could not be read back: EIO`)
      expect(hint).toMatch(/TMPDIR/)
      // Nothing counted down: what was set aside is still there.
      expect(aside.size).toBe(6000)
    } finally {
      failing.read = false
      aside.close()
    }
  })

  it('a run whose set-aside actions cannot be read back stops with that error (exit 2, not a bug), deleting nothing', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    // A refused first directory of more than a chunk of set-aside lines (see sync.test.ts).
    const locked = Array.from({ length: 6000 }, (_, i) => `a/locked/${'é'.repeat(60)}-${String(i).padStart(5, '0')}`)
    for (const p of [...locked, 'b/1', 'c']) await writeText(src, p, 'x', 1_700_000_000_000)
    await writeText(dst, 'gone', 'old', 1_700_000_000_000)
    const refuse = (p: string) => (p.startsWith('a/locked/') ? new SyncError('AUTH', 'denied by policy') : undefined)
    dst.faults = { ...dst.faults, write: refuse, copyFrom: refuse }
    failing.read = true
    let events: SyncEvent[]
    try {
      events = await firstValueFrom(sync(src, dst, { mode: 'mirror', concurrency: 4 }).pipe(toArray()))
    } finally {
      failing.read = false
    }
    const summary = (events.at(-1) as DoneEvent).summary
    expect(summary.fatal).toMatchObject({
      code: 'TRANSIENT',
      message: expect.stringContaining('could not be read back'),
    })
    expect(summary.fatal?.hint).toMatch(/TMPDIR/)
    expect((await listAll(dst)).map((e) => e.path)).toContain('gone')
  })
})
