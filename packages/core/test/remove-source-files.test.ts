import { appendFile, mkdir, mkdtemp, open, readdir, readFile, rm, stat, symlink, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import fc from 'fast-check'
import { lastValueFrom, toArray } from 'rxjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Backend, SyncError, type SyncOptions, supports, sync } from '../src/index.js'
import type { DoneEvent, FailedEvent, SyncEvent } from '../src/model/sync-event.js'
import { putTree } from './put-tree.js'

// `removeSourceFiles` (rsync's --remove-source-files, rclone's move): the source's files go once the
// target holds them, and never one the target does not hold as it was.

const T0 = new Date('2026-01-02T03:04:05Z')

let root: string
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'syncflow-remove-source-'))
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

const put = (dir: string, files: Record<string, string>, at = T0): Promise<void> => putTree(join(root, dir), files, at)

/** Every file below `dir` (symlinks as `-> target`), by relative path. */
async function files(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const base = join(root, dir)
  for (const e of await readdir(base, { recursive: true, withFileTypes: true })) {
    const abs = join(e.parentPath, e.name)
    const rel = abs.slice(base.length + 1)
    if (e.isFile()) out[rel] = await readFile(abs, 'utf8')
    else if (e.isSymbolicLink()) out[rel] = '-> symlink'
  }
  return out
}

/**
 * A real local backend with `change` run on each write's completion: the fault cases (a source
 * file edited just after its copy, a target that cannot flush) on top of the real thing.
 */
function wrapped(backend: Backend, change: { afterWrite?: (path: string) => Promise<void>; flush?: () => never }) {
  return new Proxy(backend, {
    get(target, prop) {
      // (A local target copies from a local source with copyFrom, from any other with write.)
      if (prop === 'write' && change.afterWrite) {
        return async (...args: Parameters<Backend['write']>) => {
          const entry = await target.write(...args)
          await change.afterWrite!(args[0])
          return entry
        }
      }
      if (prop === 'copyFrom' && change.afterWrite && supports.copyFrom(target)) {
        return async (...args: Parameters<typeof target.copyFrom>) => {
          const entry = await target.copyFrom(...args)
          await change.afterWrite!(args[2])
          return entry
        }
      }
      // (Edits after a copy need a copy: a move within one file system links the source's file
      // itself, whose edits are then the target's too. As across file systems, it copies here.)
      if (prop === 'linkFrom' && change.afterWrite) return async () => undefined
      if (prop === 'flush' && change.flush) return change.flush
      const v = Reflect.get(target, prop, target)
      return typeof v === 'function' ? v.bind(target) : v
    },
  })
}

async function run(
  opts: Partial<SyncOptions> = {},
  wrap: (source: Backend, target: Backend) => [Backend, Backend] = (s, t) => [s, t],
): Promise<SyncEvent[]> {
  const source = createLocalBackend({ root: join(root, 'src') })
  const target = createLocalBackend({ root: join(root, 'dst') })
  const [s, t] = wrap(source, target)
  try {
    return await lastValueFrom(
      sync(s, t, { mode: 'copy', removeSourceFiles: true, retries: 0, ...opts }).pipe(toArray()),
    )
  } finally {
    await Promise.all([source.close(), target.close()])
  }
}

const summary = (events: SyncEvent[]) => (events.at(-1) as DoneEvent).summary
const removed = (events: SyncEvent[]) => events.flatMap((e) => (e.type === 'removed' ? [e.path] : [])).sort()
const failures = (events: SyncEvent[]) => events.filter((e): e is FailedEvent => e.type === 'failed')

describe('sync with removeSourceFiles', () => {
  it('removes each file the target now holds, copied or already there, and keeps the directories', async () => {
    await put('src', { a: 'alpha', 'sub/b': 'bravo', 'sub/deep/c': 'charlie', same: 'same' })
    await symlink('a', join(root, 'src/link'))
    await put('dst', { same: 'same' })

    const events = await run()
    expect(summary(events)).toMatchObject({ failed: 0, sourceRemoved: 5, unchanged: 1, done: { copy: 4 } })
    expect(removed(events)).toEqual(['a', 'link', 'same', 'sub/b', 'sub/deep/c'])
    expect(await files('dst')).toEqual({
      a: 'alpha',
      link: '-> symlink',
      same: 'same',
      'sub/b': 'bravo',
      'sub/deep/c': 'charlie',
    })
    expect(await files('src')).toEqual({})
    // The directories stay, as rsync leaves them.
    expect((await readdir(join(root, 'src/sub'))).sort()).toEqual(['deep'])
  })

  it('moves within one file system by linking the file to its new name: a rename, no byte copied', async () => {
    await put('src', { a: 'alpha', 'sub/b': 'bravo' })
    const inodes = { a: (await stat(join(root, 'src/a'))).ino, b: (await stat(join(root, 'src/sub/b'))).ino }
    const events = await run()
    expect(summary(events)).toMatchObject({
      failed: 0,
      sourceRemoved: 2,
      moved: 2,
      bytesTransferred: 0,
      done: { copy: 2 },
    })
    // Said so per file: linked (`moved`), then the source name gone (`renamed`).
    const said = (type: string, flag: 'moved' | 'renamed') =>
      events
        .filter((e) => e.type === type && (e as unknown as Record<string, unknown>)[flag] === true)
        .map((e) => (e.type === 'completed' ? e.action.path : e.type === 'removed' ? e.path : ''))
        .sort()
    expect(said('completed', 'moved')).toEqual(['a', 'sub/b'])
    expect(said('removed', 'renamed')).toEqual(['a', 'sub/b'])
    expect(await files('src')).toEqual({})
    expect(await files('dst')).toEqual({ a: 'alpha', 'sub/b': 'bravo' })
    // The same files, under their new names, with one name each.
    const [a, b] = [await stat(join(root, 'dst/a')), await stat(join(root, 'dst/sub/b'))]
    expect({ a: a.ino, b: b.ino }).toEqual(inodes)
    expect([a.nlink, b.nlink]).toEqual([1, 1])
    expect(a.mtime).toEqual(T0)
  })

  it('keeps a file it did not copy: one ignoreExisting leaves, or one too big', async () => {
    await put('src', { kept: 'new text', big: 'x'.repeat(100), ok: 'fine' })
    await put('dst', { kept: 'old' })

    const events = await run({ ignoreExisting: true, maxSize: 50 })
    expect(removed(events)).toEqual(['ok'])
    expect(await files('src')).toEqual({ kept: 'new text', big: 'x'.repeat(100) })
    expect(await files('dst')).toEqual({ kept: 'old', ok: 'fine' })
  })

  it('with ignoreExisting keeps a file the target holds only alike by size and mtime (other bytes)', async () => {
    // (--ignore-existing decides "unchanged" by the listing alone; a move must still not take the
    // source's bytes away where the target holds others: `syncflow move s d --ignore-existing`
    // removed s/a while d/a kept "old".)
    await put('src', { same: 'abc', differs: 'new' })
    await put('dst', { same: 'abc', differs: 'old' })
    const events = await run({ ignoreExisting: true })
    expect(removed(events)).toEqual(['same'])
    // Said as it is: no word of mtimes compared, nor of a --checksum that --ignore-existing ignores.
    const [f] = failures(events)
    expect(f).toMatchObject({ path: 'differs', stage: 'remove-source', error: { code: 'CONFLICT' } })
    expect(f?.error.message).toContain('the target holds a different file of the same size; kept on the source')
    expect(f?.error.hint).toContain('not --size-only or --ignore-existing')
    expect(await files('src')).toEqual({ differs: 'new' })
    expect(await files('dst')).toEqual({ same: 'abc', differs: 'old' })
  })

  it('compares by content: a target file alike only by size and mtime is copied over, then the source goes', async () => {
    // (Size and mtime are what tells files apart without reading them; a move's source file goes
    // only where the target holds its bytes, so a move compares as --checksum does.)
    await put('src', { same: 'abc', differs: 'one' })
    await put('dst', { same: 'abc', differs: 'two' })
    const events = await run()
    expect(summary(events)).toMatchObject({ failed: 0, unchanged: 1, sourceRemoved: 2, done: { update: 1 } })
    expect(await files('src')).toEqual({})
    expect(await files('dst')).toEqual({ same: 'abc', differs: 'one' })
  })

  it('with compare size-only keeps a file the target holds only alike by size, as failed', async () => {
    await put('src', { same: 'abc', differs: 'one' })
    await put('dst', { same: 'abc', differs: 'two' })
    const events = await run({ compare: 'size-only' })
    expect(summary(events)).toMatchObject({ unchanged: 2, sourceRemoved: 1, failed: 1 })
    expect(removed(events)).toEqual(['same'])
    expect(failures(events)).toMatchObject([{ path: 'differs', stage: 'remove-source', error: { code: 'CONFLICT' } }])
    expect(await files('src')).toEqual({ differs: 'one' })
    expect((await files('dst')).differs).toBe('two')
  })

  it('keeps a file whose copy failed', async () => {
    await put('src', { 'clash/x': 'under a file', ok: 'fine' })
    await put('dst', { clash: 'a file where the source has a directory' })

    const events = await run()
    expect(failures(events).map((f) => f.path)).toContain('clash/x')
    expect(removed(events)).toEqual(['ok'])
    expect(await files('src')).toEqual({ 'clash/x': 'under a file' })
  })

  it('keeps a source file edited after it was copied, as failed, and the next run moves the new version', async () => {
    await put('src', { edited: 'v1', other: 'other' })
    const edit = async (path: string) => {
      if (path === 'edited') await appendFile(join(root, 'src/edited'), ' and v2')
    }
    const events = await run({}, (s, t) => [s, wrapped(t, { afterWrite: edit })])
    expect(removed(events)).toEqual(['other'])
    expect(failures(events)).toMatchObject([{ path: 'edited', stage: 'remove-source', error: { code: 'CONFLICT' } }])
    expect(await files('src')).toEqual({ edited: 'v1 and v2' })
    expect(await files('dst')).toEqual({ edited: 'v1', other: 'other' })

    const again = await run()
    expect(summary(again)).toMatchObject({ failed: 0, sourceRemoved: 1, done: { update: 1 } })
    expect(await files('src')).toEqual({})
    expect(await files('dst')).toEqual({ edited: 'v1 and v2', other: 'other' })
  })

  it('keeps a source file edited in place after its copy with its size and mtime kept (exiftool -P, rsync --inplace -t)', async () => {
    await put('src', { photo: 'v1-bytes', other: 'other' })
    const edit = async (path: string) => {
      if (path !== 'photo') return
      const fh = await open(join(root, 'src/photo'), 'r+')
      await fh.write('V2', 0)
      await fh.close()
      await utimes(join(root, 'src/photo'), T0, T0)
    }
    const events = await run({}, (s, t) => [s, wrapped(t, { afterWrite: edit })])
    expect({ src: await files('src'), dst: await files('dst'), removed: removed(events) }).toEqual({
      src: { photo: 'V2-bytes' },
      dst: { photo: 'v1-bytes', other: 'other' },
      removed: ['other'],
    })
  })

  it('removes nothing when the target cannot make its copies durable', async () => {
    await put('src', { a: 'alpha', b: 'bravo' })
    const flush = (): never => {
      throw new SyncError('NO_SPACE', 'fsync failed: no space left on device', { op: 'flush' })
    }
    const events = await run({}, (s, t) => [s, wrapped(t, { flush })])
    expect(removed(events)).toEqual([])
    expect(
      failures(events)
        .map((f) => [f.path, f.stage, f.error.code])
        .sort(),
    ).toEqual([
      ['a', 'remove-source', 'NO_SPACE'],
      ['b', 'remove-source', 'NO_SPACE'],
    ])
    expect(await files('src')).toEqual({ a: 'alpha', b: 'bravo' })
    expect(await files('dst')).toEqual({ a: 'alpha', b: 'bravo' })
  })

  it('with removeEmptySourceDirs removes the directories left empty, deepest first, and only those', async () => {
    await put('src', { a: 'alpha', 'd/e/b': 'bravo', 'keep/x.log': 'excluded, so kept', 'kept/new': 'kept' })
    await mkdir(join(root, 'src/empty'), { recursive: true })
    await put('dst', { 'kept/new': 'other' })
    const { createPathFilter } = await import('../src/index.js')
    const events = await run({
      removeEmptySourceDirs: true,
      ignoreExisting: true,
      filter: createPathFilter({ exclude: ['*.log'] }),
    })
    expect(summary(events)).toMatchObject({ failed: 0, sourceRemoved: 2, sourceDirsRemoved: 3 })
    const dirs = events.flatMap((e) => (e.type === 'removed' && e.dir ? [e.path] : []))
    // d/e before d: a parent goes only once its children have.
    expect(dirs.indexOf('d/e')).toBeLessThan(dirs.indexOf('d'))
    expect(dirs.sort()).toEqual(['d', 'd/e', 'empty'])
    expect((await readdir(join(root, 'src'))).sort()).toEqual(['keep', 'kept'])
    expect(await files('src')).toEqual({ 'keep/x.log': 'excluded, so kept', 'kept/new': 'kept' })
  })

  it('refuses removeEmptySourceDirs without removeSourceFiles', async () => {
    await put('src', { a: 'alpha' })
    const events = await run({ removeSourceFiles: false, removeEmptySourceDirs: true })
    expect(summary(events).fatal?.message).toContain('removeEmptySourceDirs goes with removeSourceFiles')
  })

  it('in a dry run says what it would remove and removes nothing', async () => {
    await put('src', { a: 'alpha', 'sub/b': 'bravo' })
    const events = await run({ dryRun: true })
    expect(removed(events)).toEqual(['a', 'sub/b'])
    expect(events.filter((e) => e.type === 'removed').every((e) => e.type === 'removed' && e.dryRun)).toBe(true)
    expect(summary(events)).toMatchObject({ dryRun: true, sourceRemoved: 2 })
    expect(await files('src')).toEqual({ a: 'alpha', 'sub/b': 'bravo' })
  })

  it('is refused with a mirror, whose next run would delete what it moved', async () => {
    await put('src', { a: 'alpha' })
    const events = await run({ mode: 'mirror' })
    expect(summary(events).fatal).toMatchObject({ code: 'USAGE' })
    expect(summary(events).fatal?.message).toContain("removeSourceFiles needs mode 'copy'")
    expect(await files('src')).toEqual({ a: 'alpha' })
  })

  it('never loses a file: each is in the source as it was, or on the target with its content (property)', async () => {
    const name = fc.constantFrom('a', 'b', 'c', 'd/e', 'd/f', 'g/h/i')
    const content = fc.constantFrom('one', 'two', 'three!', '')
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(name, content, { minKeys: 1 }),
        fc.dictionary(name, content),
        fc.subarray(['a', 'b', 'c', 'd/e', 'd/f', 'g/h/i']),
        async (srcFiles, dstFiles, editedAfterCopy) => {
          await rm(join(root, 'src'), { recursive: true, force: true })
          await rm(join(root, 'dst'), { recursive: true, force: true })
          // (A source file below a path the target holds as a file cannot be copied: the case above.)
          const clash = (p: string) => Object.keys(dstFiles).some((q) => p.startsWith(`${q}/`) || q.startsWith(`${p}/`))
          await put('src', srcFiles)
          await put('dst', Object.fromEntries(Object.entries(dstFiles).filter(([p]) => !clash(p))))
          const edits = new Set(editedAfterCopy.filter((p) => p in srcFiles))
          const edit = async (path: string) => {
            if (edits.has(path)) await appendFile(join(root, 'src', path), '+')
          }
          await run({}, (s, t) => [s, wrapped(t, { afterWrite: edit })])
          const [nowSrc, nowDst] = [await files('src'), await files('dst')]
          for (const [path, was] of Object.entries(srcFiles)) {
            const edited = edits.has(path) && nowSrc[path] === `${was}+`
            const inSource = nowSrc[path] === was || edited
            expect(inSource || nowDst[path] === was, path).toBe(true)
            // And gone from the source only where the target holds it as it was.
            if (nowSrc[path] === undefined) expect(nowDst[path], path).toBe(was)
          }
        },
      ),
      { numRuns: 25 },
    )
  })
})
