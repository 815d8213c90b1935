import { Readable } from 'node:stream'
import { expect, vi } from 'vitest'
import type { Backend } from '../../backend/backend.js'
import { isSyncError } from '../../errors/sync-error.js'
import type { RelPath } from '../../model/rel-path.js'
import { readText, rejectionOf, writeText } from '../backend-io.js'
import type { SuiteContext } from '../suite-context.js'
import { listAll, listFiles } from './ordered-listing.js'

const OLD = 'old content, '.repeat(2000)
const CHUNK = Buffer.alloc(64 * 1024, 'n')

/** A body the test feeds by hand, to stop a write half way. */
function manualBody(): Readable {
  return new Readable({ read() {} })
}

/** Pushes one chunk and waits until the backend has taken it, so the write is really in progress. */
async function pushAndWait(body: Readable): Promise<void> {
  body.push(CHUNK)
  await vi.waitFor(() => expect(body.readableLength).toBe(0), { timeout: 10_000 })
}

/** How long a write may take to settle once its body failed or its signal fired. */
const SETTLE_MS = 3000

/**
 * The error `writing` rejects with, once `event` happened; a write still pending `SETTLE_MS` later
 * fails the test with `hint` (what the backend must listen to), not with the test's own timeout.
 */
async function settledRejection(
  writing: Promise<unknown>,
  [event, hint]: readonly [event: string, hint: string],
): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`write did not settle within ${SETTLE_MS} ms of ${event}: ${hint}`)),
      SETTLE_MS,
    )
  })
  try {
    return await Promise.race([rejectionOf(writing), late])
  } finally {
    clearTimeout(timer)
  }
}

const BODY_FAILED = ['its body failing', "does write listen for the body's 'error'?"] as const
const ABORTED = ['abort', 'is opts.signal honoured?'] as const

/**
 * The raw names the backend stores (`listRaw`), sorted; polled until they equal `before` (a
 * backend may finish its clean-up just after the write rejected, a server after its client).
 */
async function expectNothingLeft(s: SuiteContext, b: Backend, before: readonly string[], after: string): Promise<void> {
  const raw = async () => [...(await s.listRaw!(b))].sort()
  await vi
    .waitFor(async () => expect(await raw()).toEqual(before), { timeout: SETTLE_MS, interval: 50 })
    .catch(async () => {
      const now = await raw()
      const left = now.filter((name) => !before.includes(name))
      const gone = before.filter((name) => !now.includes(name))
      expect.fail(
        `${after}, the backend's storage still holds ${JSON.stringify(left)}${gone.length > 0 ? ` and lost ${JSON.stringify(gone)}` : ''} (listRaw): a failed write must remove its temp file (or abort its upload)`,
      )
    })
}

async function expectOld(b: Backend): Promise<void> {
  expect(await readText(b, 'f.txt')).toBe(OLD)
  expect((await b.stat('f.txt' as RelPath))?.size).toBe(OLD.length)
  // No temp file (or anything else) may show in the listing.
  expect((await listAll(b)).map((e) => e.path)).toEqual(['f.txt'])
}

/** Atomic `write` and the `expect` re-check. */
export function atomicityTests(s: SuiteContext): void {
  s.group('atomic write', () => {
    s.test('a reader during a write sees the old content, whole, and no temp file is listed', async (b) => {
      await writeText(b, 'f.txt', OLD)
      const body = manualBody()
      const writing = b.write('f.txt' as RelPath, body, { mtimeMs: 1_700_000_000_000 })
      try {
        await pushAndWait(body)
        await expectOld(b)
        body.push(CHUNK)
        body.push(null)
        const entry = await writing
        expect(entry.size).toBe(2 * CHUNK.length)
        expect(await readText(b, 'f.txt')).toBe(Buffer.concat([CHUNK, CHUNK]).toString())
      } finally {
        body.destroy()
        await writing.catch(() => {})
      }
    })

    s.test('a write whose body fails midway rejects with a SyncError and leaves the old content', async (b) => {
      await writeText(b, 'f.txt', OLD)
      const body = manualBody()
      const writing = b.write('f.txt' as RelPath, body, { mtimeMs: 1_700_000_000_000 })
      await pushAndWait(body)
      body.destroy(new Error('source failed midway'))
      const err = await settledRejection(writing, BODY_FAILED)
      expect(isSyncError(err), `the write must reject with a SyncError, not ${String(err)}`).toBe(true)
      await expectOld(b)
    })

    s.test('a write aborted by its signal rejects with ABORTED and leaves the old content', async (b) => {
      await writeText(b, 'f.txt', OLD)
      const body = manualBody()
      const abort = new AbortController()
      const writing = b.write('f.txt' as RelPath, body, { mtimeMs: 1_700_000_000_000 }, { signal: abort.signal })
      await pushAndWait(body)
      abort.abort()
      const err = await settledRejection(writing, ABORTED).finally(() => body.destroy())
      expect(isSyncError(err) ? err.code : err).toBe('ABORTED')
      await expectOld(b)
    })

    s.test('a failed first write leaves nothing at the path', async (b) => {
      const body = manualBody()
      const writing = b.write('new.txt' as RelPath, body, { mtimeMs: 1_700_000_000_000 })
      await pushAndWait(body)
      body.destroy(new Error('source failed'))
      await settledRejection(writing, BODY_FAILED)
      expect(await b.stat('new.txt' as RelPath)).toBeUndefined()
      expect(await listFiles(b)).toEqual([])
    })

    s.test('a write whose body fails, or that is aborted, leaves no temp file behind (listRaw)', async (b, t) => {
      if (!s.listRaw)
        return t.skip('no listRaw option: the suite cannot see what the backend stores beyond its listing')
      await writeText(b, 'f.txt', OLD)
      const before = [...(await s.listRaw(b))].sort()
      for (const [what, stop, settle] of [
        ['after a write whose body failed midway', (body: Readable) => body.destroy(new Error('failed')), BODY_FAILED],
        ['after a write aborted by its signal', (_: Readable, abort: AbortController) => abort.abort(), ABORTED],
      ] as const) {
        for (const path of ['f.txt', 'new/first.txt']) {
          const body = manualBody()
          const abort = new AbortController()
          const writing = b.write(path as RelPath, body, { mtimeMs: 1_700_000_000_000 }, { signal: abort.signal })
          await pushAndWait(body)
          stop(body, abort)
          await settledRejection(writing, settle).finally(() => body.destroy())
          await expectNothingLeft(s, b, before, `${what} (${path})`)
        }
      }
    })
  })

  s.group('expect (re-check before replacing)', () => {
    s.test('expect null fails with CONFLICT when the path exists, and leaves it untouched', async (b) => {
      await writeText(b, 'f.txt', 'theirs')
      const err = await rejectionOf(writeText(b, 'f.txt', 'mine', {}, { expect: null }))
      expect(isSyncError(err) && err.code).toBe('CONFLICT')
      expect(await readText(b, 'f.txt')).toBe('theirs')
      expect(await listFiles(b)).toEqual(['f.txt'])
    })

    s.test('expect null lets a write create a new file', async (b) => {
      await writeText(b, 'f.txt', 'new', {}, { expect: null })
      expect(await readText(b, 'f.txt')).toBe('new')
    })

    s.test('expect of a stale entry fails with CONFLICT, and the newer content stays', async (b) => {
      const planned = await writeText(b, 'f.txt', 'planned', 1_600_000_000_000)
      await writeText(b, 'f.txt', 'edited meanwhile', 1_600_000_005_000)
      const err = await rejectionOf(writeText(b, 'f.txt', 'sync', {}, { expect: planned }))
      expect(isSyncError(err) && err.code).toBe('CONFLICT')
      expect(await readText(b, 'f.txt')).toBe('edited meanwhile')
    })

    s.test('expect of an entry removed meanwhile fails with CONFLICT', async (b) => {
      const planned = await writeText(b, 'f.txt', 'planned')
      await b.remove('f.txt' as RelPath)
      const err = await rejectionOf(writeText(b, 'f.txt', 'sync', {}, { expect: planned }))
      expect(isSyncError(err) && err.code).toBe('CONFLICT')
      expect(await b.stat('f.txt' as RelPath)).toBeUndefined()
    })

    s.test('expect of the current entry (as listed or stat-ed) lets the write through', async (b) => {
      await writeText(b, 'f.txt', 'v1')
      const listed = (await listAll(b)).find((e) => e.path === 'f.txt')!
      await writeText(b, 'f.txt', 'v2', {}, { expect: listed })
      expect(await readText(b, 'f.txt')).toBe('v2')
      const stat = (await b.stat('f.txt' as RelPath))!
      const entry = await writeText(b, 'f.txt', 'v3', {}, { expect: stat })
      expect(await readText(b, 'f.txt')).toBe('v3')
      await writeText(b, 'f.txt', 'v4', {}, { expect: entry })
      expect(await readText(b, 'f.txt')).toBe('v4')
    })
  })
}
