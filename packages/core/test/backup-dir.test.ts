import fc from 'fast-check'
import { firstValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend, type MemBackend } from '../src/backend/mem-backend.js'
import { type DoneEvent, type RelPath, SyncError, type SyncEvent, type SyncOptions, sync } from '../src/index.js'
import { keptPathOf } from '../src/operators/back-up.js'
import { listAll, readText, writeText } from '../src/testkit/index.js'

// `backupTo` (--backup-dir): every target file a run replaces or deletes is kept first.

const T0 = 1_700_000_000_000

async function run(src: MemBackend, dst: MemBackend, opts: Partial<SyncOptions> = {}): Promise<SyncEvent[]> {
  return firstValueFrom(sync(src, dst, { mode: 'mirror', ...opts }).pipe(toArray()))
}
const summary = (events: SyncEvent[]): DoneEvent['summary'] => (events.at(-1) as DoneEvent).summary
async function files(b: MemBackend): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const e of await listAll(b)) if (e.kind === 'file') out[e.path] = await readText(b, e.path)
  return out
}
async function seed(b: MemBackend, tree: Record<string, string>, mtimeMs = T0): Promise<void> {
  for (const [p, c] of Object.entries(tree)) await writeText(b, p, c, mtimeMs)
}

describe('sync with backupTo', () => {
  it('keeps each replaced and deleted file with its mtime, and nothing else', async () => {
    const [src, dst, bak] = [createMemBackend(), createMemBackend(), createMemBackend()]
    await seed(src, { changed: 'new', same: 's', touched: 't', added: 'a' })
    await seed(dst, { changed: 'old!', same: 's', 'gone/deep/x': 'x', extra: 'e' }, T0 - 5000)
    await writeText(dst, 'touched', 't', T0 - 9000)
    await writeText(dst, 'same', 's', T0)
    const events = await run(src, dst, { backupTo: bak })
    expect(summary(events)).toMatchObject({ failed: 0, kept: 3, done: { copy: 1, update: 1, touch: 1 } })
    const kept = events.flatMap((e) => (e.type === 'completed' && e.kept ? [e.action.path] : []))
    expect(kept.sort()).toEqual(['changed', 'extra', 'gone/deep/x'])
    expect(await files(bak)).toEqual({ changed: 'old!', 'gone/deep/x': 'x', extra: 'e' })
    expect((await bak.stat('changed' as RelPath))?.mtimeMs).toBe(T0 - 5000)
    expect(await files(dst)).toEqual(await files(src))
  })

  it('keeps nothing in a dry run', async () => {
    const [src, dst, bak] = [createMemBackend(), createMemBackend(), createMemBackend()]
    await seed(src, { a: 'new' })
    await seed(dst, { a: 'old', b: 'extra' }, T0 - 5000)
    expect(summary(await run(src, dst, { backupTo: bak, dryRun: true })).kept).toBeUndefined()
    expect(await listAll(bak)).toEqual([])
    expect(await files(dst)).toEqual({ a: 'old', b: 'extra' })
  })

  it('leaves a file it could not keep as it is, and then deletes nothing', async () => {
    const [src, dst, bak] = [createMemBackend(), createMemBackend(), createMemBackend()]
    await seed(src, { a: 'new', b: 'new' })
    await seed(dst, { a: 'old', b: 'old', extra: 'e' }, T0 - 5000)
    const refuse = (p: string) => (p === 'a' ? new SyncError('PERMISSION', 'backup full') : undefined)
    bak.faults = { write: refuse, copyFrom: refuse }
    const events = await run(src, dst, { backupTo: bak })
    const failed = events.filter((e) => e.type === 'failed')
    expect(failed).toHaveLength(1)
    expect(failed[0]).toMatchObject({ path: 'a', error: { code: 'PERMISSION' } })
    expect(failed[0]?.type === 'failed' && failed[0].error.message).toMatch(
      /^PERMISSION: backup \(a\): could not keep the old file in the backup directory \(.*backup full\); left as it is$/,
    )
    expect(await files(dst)).toEqual({ a: 'old', b: 'new', extra: 'e' })
    expect(await files(bak)).toEqual({ b: 'old' })
  })

  it('a retried write keeps the old file once, not what the failed attempt left', async () => {
    const [src, dst, bak] = [createMemBackend(), createMemBackend(), createMemBackend()]
    await seed(src, { a: 'new' })
    await seed(dst, { a: 'old' }, T0 - 5000)
    let failures = 0
    const once = () => (failures++ === 0 ? new SyncError('TRANSIENT', 'connection reset') : undefined)
    dst.faults = { write: once, copyFrom: once }
    const events = await run(src, dst, { backupTo: bak, retryDelayMs: 1 })
    expect(summary(events)).toMatchObject({ failed: 0, done: { update: 1 } })
    expect(await files(bak)).toEqual({ a: 'old' })
    expect(await files(dst)).toEqual({ a: 'new' })
  })

  // QA 24 #1: the retry expected whatever the target then held, and overwrote an edit made in between.
  it('a retry after the backup refuses a target edited in between, as a run without a backup does', async () => {
    const [src, dst, bak] = [createMemBackend(), createMemBackend(), createMemBackend()]
    await seed(src, { a: 'new' })
    await seed(dst, { a: 'old' }, T0 - 5000)
    let writes = 0
    const failOnceAfterAnEdit = async () => {
      if (writes++ > 0) return undefined
      await writeText(dst, 'a', 'the user edit', T0 - 1000) // made while the first attempt fails
      return new SyncError('TRANSIENT', 'connection reset')
    }
    dst.faults = { write: failOnceAfterAnEdit, copyFrom: failOnceAfterAnEdit }
    const events = await run(src, dst, { backupTo: bak, retryDelayMs: 1 })
    expect(events.filter((e) => e.type === 'failed')).toMatchObject([{ path: 'a', error: { code: 'CONFLICT' } }])
    expect(await files(dst)).toEqual({ a: 'the user edit' })
    expect(await files(bak)).toEqual({ a: 'old' })
  })

  it('with a suffix, one backup directory holds each run’s old version', async () => {
    const [src, dst, bak] = [createMemBackend(), createMemBackend(), createMemBackend()]
    await seed(dst, { 'd/f.txt': 'v1', '.rc': 'r1' }, T0 - 5000)
    await seed(src, { 'd/f.txt': 'v2!', '.rc': 'r2!' })
    await run(src, dst, { backupTo: bak, backupSuffix: '.1' })
    await seed(src, { 'd/f.txt': 'v3!!', '.rc': 'r3!!' }, T0 + 5000)
    await run(src, dst, { backupTo: bak, backupSuffix: '-2', backupSuffixKeepsExtension: true })
    expect(await files(bak)).toEqual({ 'd/f.txt.1': 'v1', '.rc.1': 'r1', 'd/f-2.txt': 'v2!', '.rc-2': 'r2!' })
  })

  // Review 24 #4: a backup that folds case (exFAT, NTFS, SMB) took `report.txt` for the `Report.txt`
  // kept a moment before: one old file replaced the other, both counted as kept, both deleted.
  it('refuses to keep a second name the backup folds onto one kept this run: the target keeps it', async () => {
    const [src, dst, store] = [createMemBackend(), createMemBackend(), createMemBackend()]
    const folded = (path: unknown) => (typeof path === 'string' ? path.toLowerCase() : path) as RelPath
    const bak = new Proxy(store, {
      get(t, prop) {
        const v: unknown = Reflect.get(t, prop, t)
        if (typeof v !== 'function') return v
        if (['write', 'stat', 'symlink', 'read', 'setMtime'].includes(prop as string))
          return (path: unknown, ...rest: unknown[]) => v.call(t, folded(path), ...rest)
        if (prop === 'copyFrom')
          return (from: unknown, fromPath: unknown, path: unknown, ...rest: unknown[]) =>
            v.call(t, from, fromPath, folded(path), ...rest)
        return v.bind(t)
      },
    })
    await seed(src, { keep: 'k' })
    await seed(dst, { keep: 'k' })
    await seed(dst, { 'Report.txt': 'the Report', 'report.txt': 'the report' }, T0 - 5000)
    const events = await run(src, dst, { backupTo: bak })
    expect(events.filter((e) => e.type === 'failed')).toMatchObject([
      { path: 'report.txt', error: { code: 'CONFLICT' } },
    ])
    expect(await files(dst)).toEqual({ keep: 'k', 'report.txt': 'the report' })
    expect(await files(store)).toEqual({ 'report.txt': 'the Report' })
    expect(summary(events).kept).toBe(1)
  })

  // Review 24b: a backup copied by the backend itself (another local filesystem) ignored --bwlimit.
  it('under a --bwlimit, keeps a file through the limited stream, as the transfers go', async () => {
    const [src, dst, bak] = [createMemBackend(), createMemBackend(), createMemBackend()]
    await seed(src, { a: 'new content' })
    await seed(dst, { a: 'old' }, T0 - 5000)
    const direct: string[] = []
    bak.faults = { copyFrom: (p) => void direct.push(p) }
    expect(summary(await run(src, dst, { backupTo: bak, bwlimit: 1 << 20 }))).toMatchObject({ failed: 0, kept: 1 })
    expect(direct).toEqual([])
    expect(await files(bak)).toEqual({ a: 'old' })
    await seed(dst, { a: 'old again!' }, T0 - 4000)
    await run(src, dst, { backupTo: bak })
    expect(direct).toEqual(['a'])
  })

  it('keptPathOf puts the suffix at the end, or before the extension', () => {
    const p = (s: string) => s as RelPath
    expect(keptPathOf(p('a/b.tar.gz'), '~')).toBe('a/b.tar.gz~')
    expect(keptPathOf(p('a/b.tar.gz'), '.old', true)).toBe('a/b.tar.old.gz')
    expect(keptPathOf(p('a.d/noext'), '.old', true)).toBe('a.d/noext.old')
    expect(keptPathOf(p('.profile'), '.old', true)).toBe('.profile.old')
    expect(keptPathOf(p('f'), undefined)).toBe('f')
    // A suffix that would make another path (a library caller's; the CLI refuses a "/") is refused.
    expect(() => keptPathOf(p('f'), '/../../x')).toThrow(SyncError)
  })

  it('nothing is lost: every old target file is in the target unchanged or in the backup (property)', async () => {
    const name = fc.constantFrom('a', 'b', 'c', 'é', 'Z')
    const path = fc.array(name, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'))
    const tree = fc.dictionary(path, fc.string({ maxLength: 6 }), { maxKeys: 10 })
    const consistent = (t: Record<string, string>): Record<string, string> => {
      const keys = Object.keys(t)
      return Object.fromEntries(Object.entries(t).filter(([k]) => !keys.some((o) => o.startsWith(`${k}/`))))
    }
    await fc.assert(
      fc.asyncProperty(tree, tree, fc.boolean(), async (a, b, copyMode) => {
        const [src, dst, bak] = [createMemBackend(), createMemBackend(), createMemBackend()]
        await seed(src, consistent(a))
        await seed(dst, consistent(b), T0 - 1000)
        const before = await files(dst)
        const events = await run(src, dst, {
          backupTo: bak,
          allowEmptySource: true,
          mode: copyMode ? 'copy' : 'mirror',
        })
        // (A copy never deletes: a directory where the source has a file stays, and that file fails.)
        if (!copyMode) expect(summary(events).failed).toBe(0)
        const [after, kept] = [await files(dst), await files(bak)]
        for (const [p, content] of Object.entries(before)) {
          if (after[p] !== content) expect(kept[p]).toBe(content)
        }
        // Only what was replaced or deleted is kept.
        for (const p of Object.keys(kept)) expect(after[p]).not.toBe(before[p])
      }),
      { numRuns: 80 },
    )
  })
})
