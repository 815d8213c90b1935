import { chmod, link, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import fc from 'fast-check'
import { lastValueFrom, toArray } from 'rxjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Backend } from '../src/backend/backend.js'
import { createMemBackend } from '../src/backend/mem-backend.js'
import { SyncError } from '../src/errors/sync-error.js'
import { createPathFilter, type SyncOptions, sync } from '../src/index.js'
import type { DoneEvent, SyncEvent } from '../src/model/sync-event.js'
import { putTree } from './put-tree.js'

// `hardLinks` (rsync's -H): the names of one source file end up names of one target file.

const T0 = new Date('2026-01-02T03:04:05Z')

let root: string
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'syncflow-hard-links-'))
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

const put = (dir: string, files: Record<string, string>, at = T0): Promise<void> => putTree(join(root, dir), files, at)

/** More names for `dir/from`: `dir/to…`, made with link(2). */
async function names(dir: string, from: string, ...to: string[]): Promise<void> {
  for (const t of to) {
    await mkdir(dirname(join(root, dir, t)), { recursive: true })
    await link(join(root, dir, from), join(root, dir, t))
  }
}

async function run(opts: Partial<SyncOptions> = {}, from = 'src', to = 'dst'): Promise<SyncEvent[]> {
  const source = createLocalBackend({ root: join(root, from) })
  const target = createLocalBackend({ root: join(root, to) })
  try {
    return await lastValueFrom(sync(source, target, { mode: 'mirror', hardLinks: true, ...opts }).pipe(toArray()))
  } finally {
    await Promise.all([source.close(), target.close()])
  }
}

const summary = (events: SyncEvent[]) => (events.at(-1) as DoneEvent).summary
const linkedPaths = (events: SyncEvent[]) =>
  events.flatMap((e) => (e.type === 'completed' && e.linked ? [e.action.path] : [])).sort()
/** The files a run wrote, linked or deleted (not its directories' mtimes). */
const written = (events: SyncEvent[]) =>
  events
    .flatMap((e) =>
      e.type === 'completed' && e.action.source?.kind !== 'dir' && e.action.target?.kind !== 'dir'
        ? [e.action.path]
        : [],
    )
    .sort()

/** The paths of `dir` grouped by inode, each group sorted, groups by their first path. */
async function groupsOf(dir: string, paths: readonly string[]): Promise<string[][]> {
  const by = new Map<number, string[]>()
  for (const p of paths) {
    const st = await stat(join(root, dir, p))
    by.set(st.ino, [...(by.get(st.ino) ?? []), p])
  }
  return [...by.values()].map((g) => g.sort()).sort((a, b) => (a[0] as string).localeCompare(b[0] as string))
}

const TREE = ['a/one', 'b/one', 'c/deep/one', 'x/two', 'y/two', 'z/alone']

/** A tree with a file of three names across directories, one of two names and one of one. */
async function linkedTree(): Promise<void> {
  await put('src', { 'a/one': 'the first file', 'x/two': 'the second', 'z/alone': 'alone' })
  await names('src', 'a/one', 'b/one', 'c/deep/one')
  await names('src', 'x/two', 'y/two')
}

describe('sync with hardLinks', () => {
  it('gives the target the link groups of the source, and a second run writes nothing', async () => {
    await linkedTree()
    const events = await run()
    expect(summary(events)).toMatchObject({ failed: 0, linked: 3 })
    expect(linkedPaths(events)).toEqual(['b/one', 'c/deep/one', 'y/two'])
    expect(await groupsOf('dst', TREE)).toEqual([['a/one', 'b/one', 'c/deep/one'], ['x/two', 'y/two'], ['z/alone']])
    expect((await stat(join(root, 'dst', 'a/one'))).nlink).toBe(3)
    for (const p of TREE)
      expect(await readFile(join(root, 'dst', p), 'utf8')).toBe(await readFile(join(root, 'src', p), 'utf8'))
    // Only the first names' bytes were copied.
    expect(summary(events).bytesTransferred).toBe('the first file'.length + 'the second'.length + 'alone'.length)

    const again = await run()
    expect(written(again)).toEqual([])
    expect(summary(again)).toMatchObject({ failed: 0, unchanged: TREE.length })
  })

  it('links target names that a run without it wrote as separate files', async () => {
    await linkedTree()
    expect(summary(await run({ hardLinks: false }))).toMatchObject({ failed: 0 })
    expect((await groupsOf('dst', TREE)).length).toBe(TREE.length)

    const events = await run()
    expect(linkedPaths(events)).toEqual(['b/one', 'c/deep/one', 'y/two'])
    // The first names were left as they were: only the later ones were replaced by links.
    expect(written(events)).toEqual(['b/one', 'c/deep/one', 'y/two'])
    expect(summary(events).bytesTransferred).toBe(0)
    expect(await groupsOf('dst', TREE)).toEqual([['a/one', 'b/one', 'c/deep/one'], ['x/two', 'y/two'], ['z/alone']])
    expect(written(await run())).toEqual([])
  })

  it('splits a target link group when the source names are no longer one file', async () => {
    await linkedTree()
    await run()
    // b/one becomes a file of its own in the source, with the same content and mtime (cp -p).
    await rm(join(root, 'src', 'b/one'))
    await put('src', { 'b/one': 'the first file' })
    const events = await run()
    expect(summary(events)).toMatchObject({ failed: 0 })
    expect(written(events)).toEqual(['b/one'])
    expect(await groupsOf('dst', TREE)).toEqual([['a/one', 'c/deep/one'], ['b/one'], ['x/two', 'y/two'], ['z/alone']])
    expect(await readFile(join(root, 'dst', 'b/one'), 'utf8')).toBe('the first file')
    expect(written(await run())).toEqual([])

    // And a changed name is written anew, the other names keep the old content.
    await rm(join(root, 'src', 'y/two'))
    await put('src', { 'y/two': 'another second' })
    expect(written(await run())).toEqual(['y/two'])
    expect(await readFile(join(root, 'dst', 'x/two'), 'utf8')).toBe('the second')
    expect(await readFile(join(root, 'dst', 'y/two'), 'utf8')).toBe('another second')
    expect(await groupsOf('dst', ['x/two', 'y/two'])).toEqual([['x/two'], ['y/two']])
  })

  it('relinks every name when the file changes', async () => {
    await linkedTree()
    await run()
    await writeFile(join(root, 'src', 'a/one'), 'the first file, edited')
    const events = await run()
    expect(summary(events)).toMatchObject({ failed: 0 })
    expect(written(events)).toEqual(['a/one', 'b/one', 'c/deep/one'])
    expect(await groupsOf('dst', TREE)).toEqual([['a/one', 'b/one', 'c/deep/one'], ['x/two', 'y/two'], ['z/alone']])
    for (const p of ['a/one', 'b/one', 'c/deep/one'])
      expect(await readFile(join(root, 'dst', p), 'utf8')).toBe('the first file, edited')
  })

  it('keeps the group when only the mtime changes (the shared file is rewritten, not touched, and relinked)', async () => {
    await linkedTree()
    await run()
    const later = new Date(T0.getTime() + 3_600_000)
    await utimes(join(root, 'src', 'a/one'), later, later)
    const events = await run()
    expect(summary(events)).toMatchObject({ failed: 0 })
    expect(written(events)).toEqual(['a/one', 'b/one', 'c/deep/one'])
    expect(await groupsOf('dst', TREE)).toEqual([['a/one', 'b/one', 'c/deep/one'], ['x/two', 'y/two'], ['z/alone']])
    for (const p of ['a/one', 'b/one', 'c/deep/one'])
      expect((await stat(join(root, 'dst', p))).mtimeMs).toBe(later.getTime())
    expect(written(await run())).toEqual([])
  })

  it('never links to the file of a first name whose copy failed: the later names are copied', async () => {
    await linkedTree()
    // A directory in the way of the FIRST name (a copy never deletes it): its copy fails, whoever runs it.
    await put('dst', { 'a/one/kept': 'in the way' })
    const events = await run({ mode: 'copy' })
    expect(summary(events).failed).toBe(1)
    expect(events.find((e) => e.type === 'failed')).toMatchObject({ path: 'a/one', error: { code: 'CONFLICT' } })
    // The later names were copied, each a file of its own, none linked to anything.
    expect(linkedPaths(events)).toEqual(['y/two'])
    for (const p of ['b/one', 'c/deep/one']) expect(await readFile(join(root, 'dst', p), 'utf8')).toBe('the first file')
    expect(await groupsOf('dst', ['b/one', 'c/deep/one'])).toEqual([['b/one'], ['c/deep/one']])
  })

  it('never links to the old file of a first name whose rewrite failed: the later names are copied anew', async () => {
    await linkedTree()
    await run()
    await writeFile(join(root, 'src', 'a/one'), 'edited: the later names follow')
    // The target refuses every write of the FIRST name (EACCES, as a user meets a read-only
    // directory; the test below does it so where it does not run as root).
    const real = createLocalBackend({ root: join(root, 'dst') })
    const refuse = async (path: string) => {
      if (path === 'a/one') throw new SyncError('PERMISSION', 'permission denied', { op: 'local.write', path })
    }
    const target: Backend = new Proxy(real, {
      get(t, p) {
        const v = Reflect.get(t, p, t)
        if (p === 'write' || p === 'copyFrom' || p === 'patch')
          return async (...args: unknown[]) => {
            await refuse(String(args[p === 'copyFrom' ? 1 : 0]))
            return (v as (...a: unknown[]) => unknown).apply(t, args)
          }
        // (Linked within the one directory: the backend knows itself, not the proxy.)
        if (p === 'linkFrom')
          return (other: unknown, ...rest: unknown[]) =>
            (v as (...a: unknown[]) => unknown).apply(t, [other === target ? t : other, ...rest])
        return typeof v === 'function' ? v.bind(t) : v
      },
    })
    const source = createLocalBackend({ root: join(root, 'src') })
    try {
      const events = await lastValueFrom(sync(source, target, { mode: 'copy', hardLinks: true }).pipe(toArray()))
      expect(summary(events).failed).toBe(1)
      expect(events.find((e) => e.type === 'failed')).toMatchObject({ path: 'a/one', error: { code: 'PERMISSION' } })
      expect(linkedPaths(events)).toEqual([])
    } finally {
      await Promise.all([source.close(), real.close()])
    }
    expect(await readFile(join(root, 'dst', 'a/one'), 'utf8')).toBe('the first file')
    for (const p of ['b/one', 'c/deep/one'])
      expect(await readFile(join(root, 'dst', p), 'utf8')).toBe('edited: the later names follow')
    expect(await groupsOf('dst', ['a/one', 'b/one', 'c/deep/one'])).toEqual([['a/one'], ['b/one'], ['c/deep/one']])
    // Once it can be written, the next run joins them again.
    expect(summary(await run())).toMatchObject({ failed: 0 })
    expect(await groupsOf('dst', TREE)).toEqual([['a/one', 'b/one', 'c/deep/one'], ['x/two', 'y/two'], ['z/alone']])
  })

  it('copies a later name the target cannot link (another file system inside it), and says so', async () => {
    await linkedTree()
    const real = createLocalBackend({ root: join(root, 'dst') })
    // As link(2) answers EXDEV or EMLINK: the backend gives no link (undefined), the engine copies.
    const target: Backend = new Proxy(real, {
      get(t, p) {
        const v = Reflect.get(t, p, t)
        if (p === 'linkFrom') return async () => undefined
        return typeof v === 'function' ? v.bind(t) : v
      },
    })
    const source = createLocalBackend({ root: join(root, 'src') })
    try {
      const events = await lastValueFrom(sync(source, target, { mode: 'copy', hardLinks: true }).pipe(toArray()))
      expect(summary(events)).toMatchObject({ failed: 0 })
      expect(linkedPaths(events)).toEqual([])
      const notes = events.flatMap((e) => (e.type === 'notice' && e.code === 'HARD_LINK_COPIED' ? [e.path] : []))
      expect(notes.sort()).toEqual(['b/one', 'c/deep/one', 'y/two'])
    } finally {
      await Promise.all([source.close(), real.close()])
    }
    expect((await groupsOf('dst', TREE)).length).toBe(TREE.length)
    for (const p of TREE)
      expect(await readFile(join(root, 'dst', p), 'utf8')).toBe(await readFile(join(root, 'src', p), 'utf8'))
  })

  it.skipIf(process.getuid?.() === 0)(
    'never links to the old file of a first name whose rewrite failed (not as root: root writes into a read-only directory)',
    async () => {
      await linkedTree()
      await run()
      await writeFile(join(root, 'src', 'a/one'), 'edited: the later names follow')
      // The target's directory of the FIRST name is read-only: its rewrite fails.
      await chmod(join(root, 'dst', 'a'), 0o555)
      try {
        const events = await run({ mode: 'copy' })
        expect(summary(events).failed).toBe(1)
        expect(events.find((e) => e.type === 'failed')).toMatchObject({ path: 'a/one' })
        expect(linkedPaths(events)).toEqual([])
        expect(await readFile(join(root, 'dst', 'a/one'), 'utf8')).toBe('the first file')
        for (const p of ['b/one', 'c/deep/one'])
          expect(await readFile(join(root, 'dst', p), 'utf8')).toBe('edited: the later names follow')
        expect(await groupsOf('dst', ['a/one', 'b/one', 'c/deep/one'])).toEqual([['a/one'], ['b/one'], ['c/deep/one']])
      } finally {
        await chmod(join(root, 'dst', 'a'), 0o755)
      }
      // Once it can be written, the next run joins them again.
      expect(summary(await run())).toMatchObject({ failed: 0 })
      expect(await groupsOf('dst', TREE)).toEqual([['a/one', 'b/one', 'c/deep/one'], ['x/two', 'y/two'], ['z/alone']])
    },
  )

  it("links a later name only once the first name's file is whole (a big file, written while the links wait)", async () => {
    const big = Buffer.alloc(16 << 20, 7)
    await mkdir(join(root, 'src'), { recursive: true })
    await writeFile(join(root, 'src', 'a.bin'), big)
    await names('src', 'a.bin', 'b.bin', 'c/d.bin', 'e.bin')
    const events = await run({ concurrency: 8 })
    expect(summary(events)).toMatchObject({ failed: 0, linked: 3 })
    expect(await groupsOf('dst', ['a.bin', 'b.bin', 'c/d.bin', 'e.bin'])).toEqual([
      ['a.bin', 'b.bin', 'c/d.bin', 'e.bin'],
    ])
    expect((await readFile(join(root, 'dst', 'e.bin'))).equals(big)).toBe(true)
    // Each link completed after the first name's copy did.
    const at = (path: string) => events.findIndex((e) => e.type === 'completed' && e.action.path === path)
    for (const p of ['b.bin', 'c/d.bin', 'e.bin']) expect(at(p)).toBeGreaterThan(at('a.bin'))
  })

  it('with linkDest, links the first name from the snapshot and the later names to it', async () => {
    await linkedTree()
    expect(summary(await run({}, 'src', 'day1'))).toMatchObject({ failed: 0 })
    const events = await run({ linkDest: [createLocalBackend({ root: join(root, 'day1') })] }, 'src', 'day2')
    expect(summary(events)).toMatchObject({ failed: 0, bytesTransferred: 0 })
    for (const p of TREE) expect((await stat(join(root, 'day2', p))).ino).toBe((await stat(join(root, 'day1', p))).ino)
    expect((await stat(join(root, 'day2', 'a/one'))).nlink).toBe(6)
  })

  it("writes a later name once a mirror's delete cleared its way (a directory there), and links it on the next run", async () => {
    await linkedTree()
    await put('dst', { 'b/one/old': 'a directory where the source has a file' })
    const events = await run()
    expect(summary(events)).toMatchObject({ failed: 0 })
    expect(await readFile(join(root, 'dst', 'b/one'), 'utf8')).toBe('the first file')
    await run()
    expect(await groupsOf('dst', TREE)).toEqual([['a/one', 'b/one', 'c/deep/one'], ['x/two', 'y/two'], ['z/alone']])
    expect(written(await run())).toEqual([])
  })

  it('says in a dry run which names it would link, and writes nothing', async () => {
    await linkedTree()
    const events = await run({ dryRun: true })
    expect(linkedPaths(events)).toEqual(['b/one', 'c/deep/one', 'y/two'])
    expect(summary(events)).toMatchObject({ linked: 3 })
    await expect(stat(join(root, 'dst'))).rejects.toThrow()
  })

  it('is refused where a side cannot tell or make hard links', async () => {
    await linkedTree()
    const mem = createMemBackend()
    const local = createLocalBackend({ root: join(root, 'src') })
    try {
      const events = await lastValueFrom(sync(local, mem, { mode: 'copy', hardLinks: true }).pipe(toArray()))
      expect(summary(events).fatal).toMatchObject({ code: 'USAGE' })
      expect(summary(events).fatal?.message).toMatch(/--hard-links needs a target that can hard-link.*mem:/)
      const back = await lastValueFrom(sync(mem, local, { mode: 'copy', hardLinks: true }).pipe(toArray()))
      expect(summary(back).fatal?.message).toMatch(/--hard-links needs a source that lists/)
    } finally {
      await Promise.all([local.close(), mem.close()])
    }
  })

  it('target link groups are the source link groups of the synced paths (property)', async () => {
    const paths = ['a', 'b', 'd/c', 'd/e', 'f/g/h', 'i']
    // (A name only the target has: a copy keeps it, linked to a synced name or not.)
    const targetPaths = [...paths, 'j/extra']
    // Each path is given a group number; a group's paths are names of one file. Some paths excluded.
    const arb = fc.record({
      group: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: paths.length, maxLength: paths.length }),
      before: fc.array(fc.integer({ min: 0, max: 3 }), {
        minLength: targetPaths.length,
        maxLength: targetPaths.length,
      }),
      excluded: fc.subarray(paths, { maxLength: 2 }),
      mode: fc.constantFrom<'mirror' | 'copy'>('mirror', 'copy'),
    })
    await fc.assert(
      fc.asyncProperty(arb, async ({ group, before, excluded, mode }) => {
        await rm(join(root, 'src'), { recursive: true, force: true })
        await rm(join(root, 'dst'), { recursive: true, force: true })
        // The target first holds other groups (an earlier run of another tree), then the source's are synced.
        for (const [dir, groups, all] of [
          ['dst', before, targetPaths],
          ['src', group, paths],
        ] as const) {
          const first = new Map<number, string>()
          for (const [i, p] of all.entries()) {
            const g = groups[i] as number
            const had = first.get(g)
            if (had === undefined) {
              // (Content of its own length per group: a size and mtime compare tells the groups apart.)
              await put(dir, { [p]: `group ${g}${'!'.repeat(g)}` })
              first.set(g, p)
            } else await names(dir, had, p)
          }
        }
        const filter = createPathFilter({ exclude: excluded })
        const extra = await readFile(join(root, 'dst', 'j/extra'), 'utf8')
        const events = await run({ filter, mode })
        expect(summary(events).failed).toBe(0)
        const synced = paths.filter((p) => !excluded.includes(p))
        const want = await groupsOf('src', synced)
        expect(await groupsOf('dst', synced)).toEqual(want)
        for (const p of synced)
          expect(await readFile(join(root, 'dst', p), 'utf8')).toBe(await readFile(join(root, 'src', p), 'utf8'))
        // A copy leaves the target's own name as it was, whatever was linked to it.
        if (mode === 'copy') expect(await readFile(join(root, 'dst', 'j/extra'), 'utf8')).toBe(extra)
        expect(written(await run({ filter, mode }))).toEqual([])
      }),
      { numRuns: 25 },
    )
  })
})
