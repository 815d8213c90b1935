import { from, lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it, vi } from 'vitest'
import { createMemBackend, type MemFault } from '../src/backend/mem-backend.js'
import type { Action, RelPath } from '../src/index.js'
import { transfer } from '../src/operators/transfer.js'
import { listAll, readText, writeText } from '../src/testkit/index.js'

describe('transfer', () => {
  it('runs small transfers in a wide lane (smallConcurrency) beside `concurrency` for the rest', async () => {
    const source = createMemBackend()
    const target = createMemBackend()
    for (let i = 0; i < 10; i++) await writeText(source, `small/${i}`, 'x'.repeat(100))
    for (let i = 0; i < 4; i++) await writeText(source, `big/${i}`, 'x'.repeat(100 * 1024))
    const actions: Action[] = (await listAll(source))
      .filter((e) => e.kind === 'file')
      .map((e) => ({ kind: 'copy', path: e.path, source: e, reason: 'new file' }))
    // Every write (streamed or direct) waits until the test lets it go.
    const started: string[] = []
    let go: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      go = resolve
    })
    const hold: MemFault = async (path: RelPath) => {
      started.push(path)
      await gate
      return undefined
    }
    target.faults = { write: hold, copyFrom: hold }
    const events = lastValueFrom(
      from(actions).pipe(transfer({ source, target, concurrency: 2, smallConcurrency: 10 }), toArray()),
    )
    await vi.waitFor(() => expect(started).toHaveLength(12))
    expect(started.filter((p) => p.startsWith('small/'))).toHaveLength(10)
    expect(started.filter((p) => p.startsWith('big/'))).toHaveLength(2)
    go()
    const done = (await events).filter((e) => e.type === 'completed')
    expect(done).toHaveLength(14)
  })

  it('keeps one lane of `concurrency` without smallConcurrency', async () => {
    const source = createMemBackend()
    const target = createMemBackend()
    for (let i = 0; i < 5; i++) await writeText(source, `small/${i}`, 'x')
    const actions: Action[] = (await listAll(source))
      .filter((e) => e.kind === 'file')
      .map((e) => ({ kind: 'copy', path: e.path, source: e, reason: 'new file' }))
    const started: string[] = []
    let go: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      go = resolve
    })
    const hold: MemFault = async (path: RelPath) => {
      started.push(path)
      await gate
      return undefined
    }
    target.faults = { write: hold, copyFrom: hold }
    const events = lastValueFrom(from(actions).pipe(transfer({ source, target, concurrency: 2 }), toArray()))
    // All five would start at once in a wider lane (held writes start when subscribed).
    await vi.waitFor(() => expect(started).toHaveLength(2))
    go()
    expect((await events).filter((e) => e.type === 'completed')).toHaveLength(5)
  })

  it('holds deletes back when it is not told the run facts (a composed mirror pipeline), and runs them when it is', async () => {
    const source = createMemBackend()
    const target = createMemBackend()
    await writeText(target, 'old.txt', 'o')
    const [old] = await listAll(target)
    const deletes: Action[] = [{ kind: 'delete', path: old!.path, target: old!, reason: 'not in source' }]
    const blind = await lastValueFrom(from(deletes).pipe(transfer({ source, target }), toArray()))
    expect(blind.find((e) => e.type === 'notice')).toMatchObject({ code: 'DELETES_SUPPRESSED' })
    expect(blind.find((e) => e.type === 'notice' && e.message.includes('facts'))).toBeDefined()
    expect(blind.filter((e) => e.type === 'skipped')).toHaveLength(1)
    expect((await listAll(target)).map((e) => e.path)).toEqual(['old.txt'])
    const facts = () => ({ sourceFiles: 1, targetFiles: 1, listingErrors: 0, planFailures: 0 })
    const told = await lastValueFrom(from(deletes).pipe(transfer({ source, target, facts }), toArray()))
    expect(told.filter((e) => e.type === 'completed')).toHaveLength(1)
    expect(await listAll(target)).toEqual([])
  })
  it('starts queued actions one after the other, not recursively: 20,000 skips behind a held copy', async () => {
    const source = createMemBackend()
    const target = createMemBackend()
    const file = await writeText(source, 'f', 'x')
    const hold: MemFault = async () => {
      await new Promise((resolve) => setTimeout(resolve, 10))
      return undefined
    }
    target.faults = { write: hold, copyFrom: hold }
    const skips: Action[] = Array.from({ length: 20_000 }, (_, i) => ({
      kind: 'skip',
      path: `s${i}` as RelPath,
      reason: 'test',
    }))
    const settled: string[] = []
    const events = await lastValueFrom(
      from([{ kind: 'copy', path: file.path, source: file, reason: 'new file' } as Action, ...skips]).pipe(
        transfer({ source, target, concurrency: 1, onSettled: (a) => settled.push(a.path) }),
        toArray(),
      ),
    )
    expect(events.filter((e) => e.type === 'skipped')).toHaveLength(20_000)
    expect(events.filter((e) => e.type === 'completed')).toHaveLength(1)
    // The copy settles before the first skip queued behind it starts.
    expect(settled.slice(0, 2)).toEqual(['f', 's0'])
    expect(settled).toHaveLength(20_001)
  })

  it('settles every running action once when unsubscribed, and starts no queued one', async () => {
    const source = createMemBackend()
    const target = createMemBackend()
    for (let i = 0; i < 6; i++) await writeText(source, `f${i}`, 'x')
    const actions: Action[] = (await listAll(source))
      .filter((e) => e.kind === 'file')
      .map((e) => ({ kind: 'copy', path: e.path, source: e, reason: 'new file' }))
    const started: string[] = []
    const hold: MemFault = async (path: RelPath) => {
      started.push(path)
      await new Promise(() => {})
      return undefined
    }
    target.faults = { write: hold, copyFrom: hold }
    const settled: string[] = []
    const sub = from(actions)
      .pipe(transfer({ source, target, concurrency: 2, onSettled: (a) => settled.push(a.path) }))
      .subscribe()
    await vi.waitFor(() => expect(started).toHaveLength(2))
    sub.unsubscribe()
    expect(settled.sort()).toEqual([...started].sort())
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(started).toHaveLength(2)
    expect(settled).toHaveLength(2)
  })
})

// Review 23b B1: under --ignore-existing every CONFLICT or INVALID_PATH became "skipped: the target
// has another kind of entry there", and the run exited 0 with the file never written.
describe('keepInTheWay (--ignore-existing)', () => {
  it('keeps only a real clash of kinds; any other failure of the same codes stays a failure', async () => {
    const source = createMemBackend()
    const target = createMemBackend()
    await writeText(source, 'clash', 'a file')
    await writeText(source, 'refused', 'r')
    await writeText(target, 'clash/inner', 'the target has a directory here')
    const { SyncError } = await import('../src/index.js')
    const refuse = (p: RelPath) => (p === 'refused' ? new SyncError('INVALID_PATH', 'name too long') : undefined)
    target.faults = { write: refuse, copyFrom: refuse }
    const entry = async (path: string) => (await source.stat(path as RelPath))!
    const actions: Action[] = [
      { kind: 'copy', path: 'clash' as RelPath, source: await entry('clash'), reason: 'new file' },
      { kind: 'copy', path: 'refused' as RelPath, source: await entry('refused'), reason: 'new file' },
      {
        kind: 'delete',
        path: 'clash/inner' as RelPath,
        target: (await target.stat('clash/inner' as RelPath))!,
        reason: 'not in source',
      },
    ]
    const events = await lastValueFrom(
      from(actions).pipe(transfer({ source, target, keepInTheWay: true, deletesPlanned: true }), toArray()),
    )
    expect(events.filter((e) => e.type === 'skipped').map((e) => e.path)).toEqual(['clash'])
    expect(events.filter((e) => e.type === 'failed').map((e) => e.path)).toEqual(['refused'])
    expect((await listAll(target)).map((e) => e.path)).toContain('clash/inner') // kept
  })
})

// QA 29k: a new file's copy under --ignore-existing, where someone put a file of their own after the
// listing, failed CONFLICT (exit 1, a mirror's deletes held back): the target has that file now, and
// --ignore-existing leaves what the target has, as rsync does when it gets to the file.
describe('--ignore-existing and a file that appeared on the target since the listing', () => {
  it('is kept and skipped, not a failure', async () => {
    const source = createMemBackend()
    const target = createMemBackend()
    await writeText(source, 'new', 'source bytes')
    await writeText(source, 'other', 'o')
    target.copyFrom = async () => undefined
    let put = false
    target.faults = {
      // Just before the write: someone's file takes the path.
      write: async (p) => {
        if (p === 'new' && !put) {
          put = true
          await writeText(target, 'new', 'mine')
        }
        return undefined
      },
    }
    const entry = async (path: string) => (await source.stat(path as RelPath))!
    const actions: Action[] = [
      { kind: 'copy', path: 'new' as RelPath, source: await entry('new'), reason: 'new file' },
      { kind: 'copy', path: 'other' as RelPath, source: await entry('other'), reason: 'new file' },
    ]
    const run = (keepInTheWay: boolean) =>
      lastValueFrom(from(actions).pipe(transfer({ source, target, keepInTheWay }), toArray()))
    const events = await run(true)
    expect(put).toBe(true)
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    expect(events.filter((e) => e.type === 'skipped').map((e) => e.path)).toEqual(['new'])
    expect(await readText(target, 'new')).toBe('mine')
    expect(await readText(target, 'other')).toBe('o')
    // Without --ignore-existing it stays a failure: the run was to write that path.
    await target.remove('new' as RelPath)
    await target.remove('other' as RelPath)
    put = false
    const plain = await run(false)
    expect(plain.filter((e) => e.type === 'failed').map((e) => e.path)).toEqual(['new'])
    expect(await readText(target, 'new')).toBe('mine')
  })
})

// QA 29k: under --update, a file someone wrote on the target after the listing, newer than the
// source's, failed the run CONFLICT (exit 1, a mirror's deletes held back); rsync -u skips it.
describe('--update and a target file written newer since the listing', () => {
  const T0 = 1_700_000_000_000
  async function edited(editMs: number, keepNewer: boolean) {
    const source = createMemBackend()
    const target = createMemBackend()
    target.copyFrom = async () => undefined
    await writeText(source, 'f', 'source bytes', T0)
    await writeText(target, 'f', 'old', T0 - 3_600_000)
    const action: Action = {
      kind: 'update',
      path: 'f' as RelPath,
      source: (await source.stat('f' as RelPath))!,
      target: (await target.stat('f' as RelPath))!,
      reason: 'size differs',
    }
    let edits = 0
    target.faults = {
      write: async (p) => {
        if (p === 'f' && edits++ === 0) await writeText(target, 'f', 'mine', editMs)
        return undefined
      },
    }
    const events = await lastValueFrom(
      from([action]).pipe(
        transfer({ source, target, ...(keepNewer ? { keepNewer: { modifyWindowMs: 1 } } : {}) }),
        toArray(),
      ),
    )
    expect(await readText(target, 'f')).toBe('mine')
    return events.filter((e) => e.type === 'failed' || e.type === 'skipped').map((e) => e.type)
  }

  it('is kept and skipped, not a failure', async () => {
    expect(await edited(T0 + 60_000, true)).toEqual(['skipped'])
  })

  it('one older than the source stays a failure, and so does any without --update', async () => {
    expect(await edited(T0 - 60_000, true)).toEqual(['failed'])
    expect(await edited(T0 + 60_000, false)).toEqual(['failed'])
  })
})

// QA 29k: an empty directory a mirror planned to delete, replaced by someone's file after the
// listing, was deleted with that file; refused now, it is a failure (exit 1), not a directory
// skipped as "not empty".
describe('a mirror whose target directory became a file after the listing', () => {
  it('keeps the file and fails the delete, holding nothing else back', async () => {
    const { sync } = await import('../src/index.js')
    const source = createMemBackend()
    await writeText(source, 'keep', 'k')
    let swapped = false
    const target = createMemBackend({
      faults: {
        // Just before the delete re-checks it (its first stat), someone's file takes its place.
        stat: async (path) => {
          if (path === 'd' && !swapped) {
            swapped = true
            await target.remove('d' as RelPath)
            await writeText(target, 'd', 'mine')
          }
          return undefined
        },
      },
    })
    await target.mkdir('d' as RelPath)
    const events = await lastValueFrom(sync(source, target, { mode: 'mirror' }).pipe(toArray()))
    expect(swapped).toBe(true)
    const failed = events.filter((e) => e.type === 'failed')
    expect(failed).toMatchObject([{ path: 'd', error: { code: 'CONFLICT' } }])
    expect(events.filter((e) => e.type === 'skipped' && e.path === 'd')).toEqual([])
    const done = events.at(-1)
    expect(done?.type === 'done' && done.summary.failed).toBe(1)
    expect(await readText(target, 'd')).toBe('mine')
  })
})
