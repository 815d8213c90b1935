import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import { lastValueFrom, toArray } from 'rxjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemBackend } from '../src/backend/mem-backend.js'
import { bisync } from '../src/bisync/bisync.js'
import { MarkedHints } from '../src/continuous/marked-hints.js'
import { createPathFilter } from '../src/filter/create-path-filter.js'
import {
  MARKED_ON_SOURCE,
  MARKED_ON_TARGET,
  MarkedDirs,
  markerNameProblem,
  withMarkedDirs,
} from '../src/filter/marked-dirs.js'
import { check, type SyncOptions, sync } from '../src/index.js'
import type { Entry } from '../src/model/entry.js'
import type { DoneEvent, SyncEvent } from '../src/model/sync-event.js'
import { MemoryStateStore } from '../src/state/memory-state-store.js'
import { p } from './kept-paths.js'
import { putTree } from './put-tree.js'

// --exclude-if-present: a directory holding a marker is excluded, with all below it, on both sides.

const T0 = new Date('2026-01-02T03:04:05Z')

let root: string
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'syncflow-marker-'))
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

const put = (dir: string, files: Record<string, string>): Promise<void> => putTree(join(root, dir), files, T0)

/** Every file below `dir`, relative to it, sorted. */
async function files(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (rel: string): Promise<void> => {
    for (const d of await readdir(join(root, dir, rel), { withFileTypes: true })) {
      const path = rel === '' ? d.name : `${rel}/${d.name}`
      if (d.isDirectory()) await walk(path)
      else out.push(path)
    }
  }
  await walk('')
  return out.sort()
}

const backends = (from: string, to: string) => [
  createLocalBackend({ root: join(root, from) }),
  createLocalBackend({ root: join(root, to) }),
]

async function run(from: string, to: string, opts: Partial<SyncOptions> = {}, only = false): Promise<SyncEvent[]> {
  const [source, target] = backends(from, to)
  try {
    const options = { mode: 'mirror' as const, excludeIfPresent: ['.nobackup'], ...opts }
    return await lastValueFrom((only ? check : sync)(source!, target!, options).pipe(toArray()))
  } finally {
    await Promise.all([source!.close(), target!.close()])
  }
}

const summary = (events: SyncEvent[]) => (events.at(-1) as DoneEvent).summary
const notices = (events: SyncEvent[]) => events.flatMap((e) => (e.type === 'notice' ? [e.code] : []))

describe('MarkedDirs and withMarkedDirs', () => {
  it('excludes a marked directory and all below it, nothing else, as marks are noted', () => {
    const marks = new MarkedDirs()
    const filter = withMarkedDirs(createPathFilter({ exclude: ['*.tmp'] }), marks)
    expect(filter.isExcluded(p('a/b/c'), 'file')).toBe(false)
    marks.mark('a/b', MARKED_ON_SOURCE)
    expect(filter.isExcluded(p('a/b'), 'dir')).toBe(true)
    expect(filter.isExcluded(p('a/b/c'), 'file')).toBe(true)
    expect(filter.canPrune(p('a/b'))).toBe(true)
    // A file named as the marked directory is not below it; its siblings and parent stay.
    expect(filter.isExcluded(p('a/b'), 'file')).toBe(false)
    expect(filter.isExcluded(p('a/bc/d'), 'file')).toBe(false)
    expect(filter.isExcluded(p('a'), 'dir')).toBe(false)
    // The filter it wraps still applies.
    expect(filter.isExcluded(p('x.tmp'), 'file')).toBe(true)
    expect(filter.empty).toBe(false)
  })

  it('says which sides marked a path, the root standing for every path', () => {
    const marks = new MarkedDirs()
    marks.mark('a', MARKED_ON_SOURCE)
    marks.mark('a', MARKED_ON_TARGET)
    marks.mark('b/c', MARKED_ON_TARGET)
    expect(marks.by('a/x', 'file')).toBe(MARKED_ON_SOURCE | MARKED_ON_TARGET)
    expect(marks.by('b/c/d/e', 'dir')).toBe(MARKED_ON_TARGET)
    expect(marks.by('b', 'dir')).toBe(0)
    marks.mark('', MARKED_ON_SOURCE)
    expect(marks.by('z', 'file')).toBe(MARKED_ON_SOURCE)
  })

  it('takes a file name only as a marker', () => {
    for (const bad of ['', '.', '..', 'a/b', '/x', 'x/']) expect(markerNameProblem(bad)).toBeDefined()
    for (const good of ['.nobackup', 'CACHEDIR.TAG', '...', 'a b']) expect(markerNameProblem(good)).toBeUndefined()
  })
})

describe('a local listing with excludeIfPresent', () => {
  it('says a directory is marked before it lists it, wherever the marker sorts, and does not enter it', async () => {
    // CACHEDIR.TAG sorts after AAA/, so a walk that read it only as it went would list AAA/ first.
    await put('t', { 'c/AAA/x': 'x', 'c/CACHEDIR.TAG': 'tag', 'd/y': 'y', 'e/sub/.nobackup': '' })
    const backend = createLocalBackend({ root: join(root, 't') })
    const seen: string[] = []
    const marked = new Set<string>()
    try {
      for await (const e of backend.list({
        excludeIfPresent: ['CACHEDIR.TAG', '.nobackup'],
        onMarked: (dir) => {
          marked.add(dir)
          seen.push(`marked ${dir}`)
        },
        prune: (dir) => marked.has(dir),
      }) as AsyncIterable<Entry>)
        seen.push(e.path)
    } finally {
      await backend.close()
    }
    expect(seen).toEqual(['marked c', 'c', 'd', 'd/y', 'e', 'marked e/sub', 'e/sub'])
  })
})

describe('sync with excludeIfPresent', () => {
  it('leaves out a marked directory only, and keeps the target copy of it', async () => {
    await put('src', { 'a/keep': 'k', 'a/cache/.nobackup': '', 'a/cache/big': 'b', z: 'z' })
    await put('dst', { 'a/cache/old': 'old' })
    const events = await run('src', 'dst')
    expect(summary(events).failed).toBe(0)
    expect(await files('dst')).toEqual(['a/cache/old', 'a/keep', 'z'])
    // check agrees with the sync: nothing left to do.
    expect(summary(await run('src', 'dst', {}, true)).planned).toMatchObject({ copy: 0, update: 0, delete: 0 })
  })

  it('keeps the target copy even where the target lists it before the source reaches it', async () => {
    // The target's m/ comes while the source is still at its a* files: its entries are judged at the join.
    await put('src', { a1: '1', a2: '2', a3: '3', 'm/.nobackup': '', 'm/x': 'new' })
    await put('dst', { 'm/x': 'old', 'm/y': 'y' })
    expect(summary(await run('src', 'dst')).failed).toBe(0)
    expect(await files('dst')).toEqual(['a1', 'a2', 'a3', 'm/x', 'm/y'])
  })

  it('deletes the target copy of a directory the source marks with deleteExcluded', async () => {
    await put('src', { 'a/keep': 'k', 'a/cache/.nobackup': '', 'a/cache/big': 'b' })
    await put('dst', { 'a/keep': 'k', 'a/cache/old': 'old', 'a/cache/.nobackup': '' })
    const events = await run('src', 'dst', { deleteExcluded: true })
    expect(summary(events).failed).toBe(0)
    expect(await files('dst')).toEqual(['a/keep'])
  })

  it('keeps a directory the target marks, copying nothing into it, with deleteExcluded too', async () => {
    await put('src', { 'w/new': 'n', other: 'o' })
    await put('dst', { 'w/.nobackup': '', 'w/mine': 'm' })
    for (const deleteExcluded of [false, true]) {
      expect(summary(await run('src', 'dst', { deleteExcluded })).failed).toBe(0)
      expect(await files('dst')).toEqual(['other', 'w/.nobackup', 'w/mine'])
    }
  })

  it('plans no delete of a directory above one the target marks (deleteExcluded too)', async () => {
    await put('src', { s: 's' })
    await put('dst', { 'p/w/.nobackup': '', 'p/w/mine': 'm', 'q/q': 'q' })
    for (const deleteExcluded of [false, true]) {
      const events = await run('src', 'dst', { deleteExcluded })
      expect(summary(events)).toMatchObject({ failed: 0, skipped: 0 })
      expect(events.some((e) => e.type === 'skipped')).toBe(false)
      expect((await files('dst')).filter((f) => f.startsWith('p/'))).toEqual(['p/w/.nobackup', 'p/w/mine'])
    }
  })

  it('takes several marker names', async () => {
    await put('src', { 'a/.nobackup': '', 'a/x': 'x', 'b/CACHEDIR.TAG': 't', 'b/y': 'y', 'c/z': 'z' })
    await run('src', 'dst', { excludeIfPresent: ['.nobackup', 'CACHEDIR.TAG'] })
    expect(await files('dst')).toEqual(['c/z'])
  })

  it('syncs nothing and deletes nothing when the source root holds a marker, and says so', async () => {
    await put('src', { '.nobackup': '', x: 'x' })
    await put('dst', { y: 'y' })
    const before = (await stat(join(root, 'dst'))).mtimeMs
    const events = await run('src', 'dst')
    expect(notices(events)).toContain('ROOT_EXCLUDED')
    expect(summary(events)).toMatchObject({ failed: 0, done: { copy: 0, delete: 0 } })
    expect(await files('dst')).toEqual(['y'])
    expect((await stat(join(root, 'dst'))).mtimeMs).toBe(before)
  })

  it('is refused for a backend that cannot tell which directories hold a marker', async () => {
    const events = await lastValueFrom(
      sync(createMemBackend(), createMemBackend(), { mode: 'mirror', excludeIfPresent: ['.nobackup'] }).pipe(toArray()),
    )
    expect(summary(events).fatal).toMatchObject({ code: 'USAGE' })
    expect(summary(events).fatal?.message).toMatch(/--exclude-if-present cannot be used with mem:/)
  })
})

describe('bisync with excludeIfPresent', () => {
  it('leaves a directory marked on one side as it is on both', async () => {
    await put('a', { 'p/f': 'f', 'cache/a-only': 'a' })
    await put('b', { 'cache/.nobackup': '', 'cache/b-only': 'b' })
    const [a, b] = backends('a', 'b')
    try {
      const events = await lastValueFrom(
        bisync(a!, b!, { state: new MemoryStateStore(), excludeIfPresent: ['.nobackup'] }).pipe(toArray()),
      )
      expect(summary(events).failed).toBe(0)
    } finally {
      await Promise.all([a!.close(), b!.close()])
    }
    expect(await files('a')).toEqual(['cache/a-only', 'p/f'])
    expect(await files('b')).toEqual(['cache/.nobackup', 'cache/b-only', 'p/f'])
  })
})

describe('MarkedHints (watch)', () => {
  it("drops hints below the directories the last full sync found marked, never a marker's", () => {
    const hints = new MarkedHints(['.nobackup'])
    expect(hints.drops('cache/a')).toBe(false) // nothing known yet
    const full = hints.fullSync()
    full.onMarked('cache', 'source')
    full.onMarked('other', 'target') // the target is not watched: its marks are not used here
    full.done()
    expect(hints.drops('cache/a')).toBe(true)
    expect(hints.drops('cache/sub/b')).toBe(true)
    expect(hints.drops('cache')).toBe(false)
    expect(hints.drops('cachet/a')).toBe(false)
    expect(hints.drops('other/x')).toBe(false)
    // The marker removed: said, and from then on nothing is dropped until a full sync finds marks again.
    expect(hints.drops('cache/.nobackup')).toBe(false)
    expect(hints.drops('cache/a')).toBe(false)
  })

  it("does not take the marks of a full sync that began before a marker's hint", () => {
    const hints = new MarkedHints(['.nobackup'])
    const full = hints.fullSync()
    full.onMarked('cache', 'source')
    expect(hints.drops('cache/.nobackup')).toBe(false)
    full.done()
    expect(hints.drops('cache/a')).toBe(false)
    const root = hints.fullSync()
    root.onMarked('', 'source')
    root.done()
    expect(hints.drops('any/where')).toBe(true)
    expect(hints.drops('.nobackup')).toBe(false)
  })

  it('drops nothing without markers', () => {
    const hints = new MarkedHints([])
    expect(hints.active).toBe(false)
    expect(hints.drops('a/b')).toBe(false)
  })
})
