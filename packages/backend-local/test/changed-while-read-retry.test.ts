import { appendFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Backend, type FailedEvent, type SyncEvent, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { tempDir } from './helpers.js'

// A source file appended to while the engine reads it (a log): its read ended in TRANSIENT
// ("changed while it was read"), the engine waited a backoff and read it again, and that read,
// held to the planned entry (`expect`: size, mtime, inode and ctime), was refused at its open as
// "changed since it was listed": a retry that could never pass. The read now says CONFLICT at once.

/** `b` whose every `read` of `path` is counted and followed by an append to `file` (after it was opened). */
function appendAfterRead(b: Backend, path: string, file: string, reads: { n: number }): Backend {
  return new Proxy(b, {
    get(t, p) {
      if (p === 'copyFrom') return undefined // every copy reads through `read`
      const v = Reflect.get(t, p, t)
      if (p !== 'read' || typeof v !== 'function') return typeof v === 'function' ? v.bind(t) : v
      return async (...args: unknown[]) => {
        const body = await v.apply(t, args)
        if (args[0] === path) {
          reads.n++
          await appendFile(file, 'more\n')
        }
        return body
      }
    },
  })
}

it('a source file written while the sync reads it fails once with CONFLICT, not read again, and nothing is written', async () => {
  const src = await tempDir('changed-retry-src')
  const dst = await tempDir('changed-retry-dst')
  // Above the size read whole when opened (128 KiB): streamed, and checked at the stream's end.
  await writeFile(join(src, 'app.log'), 'A'.repeat(300_000))
  await writeFile(join(dst, 'app.log'), 'old')
  const reads = { n: 0 }
  const source = appendAfterRead(createLocalBackend({ root: src }), 'app.log', join(src, 'app.log'), reads)
  const events: SyncEvent[] = await lastValueFrom(
    sync(source, createLocalBackend({ root: dst }), { mode: 'mirror', retries: 3, retryDelayMs: 1 }).pipe(toArray()),
  )
  const failed = events.filter((e): e is FailedEvent => e.type === 'failed')
  expect(failed.map((f) => [f.path, f.error.code])).toEqual([['app.log', 'CONFLICT']])
  expect(failed[0]?.error.message).toContain('changed while it was read (its size went from 300000 to 300005 bytes)')
  expect(reads.n).toBe(1)
  expect(await readFile(join(dst, 'app.log'), 'utf8')).toBe('old')
})
