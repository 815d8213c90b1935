import { chmod, chown, mkdtemp, readFile, rm, stat, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import { lastValueFrom, toArray } from 'rxjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemBackend } from '../src/backend/mem-backend.js'
import { type SyncOptions, sync } from '../src/index.js'
import type { RelPath } from '../src/model/rel-path.js'
import type { DoneEvent, SyncEvent } from '../src/model/sync-event.js'
import { writeText } from '../src/testkit/index.js'
import { putTree } from './put-tree.js'

// `linkDest` (rsync's --link-dest): snapshots of a tree that cost only the files that changed.

const T0 = new Date('2026-01-02T03:04:05Z')

let root: string
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'syncflow-link-dest-'))
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

const put = (dir: string, files: Record<string, string>, at = T0): Promise<void> => putTree(join(root, dir), files, at)

async function run(from: string, to: string, opts: Partial<SyncOptions> = {}): Promise<SyncEvent[]> {
  const source = createLocalBackend({ root: join(root, from) })
  const target = createLocalBackend({ root: join(root, to) })
  try {
    return await lastValueFrom(sync(source, target, { mode: 'copy', ...opts }).pipe(toArray()))
  } finally {
    await Promise.all([source.close(), target.close()])
  }
}

const summary = (events: SyncEvent[]) => (events.at(-1) as DoneEvent).summary
const linkedPaths = (events: SyncEvent[]) =>
  events.flatMap((e) => (e.type === 'completed' && e.linked ? [e.action.path] : [])).sort()
const inode = async (path: string) => (await stat(join(root, path))).ino
const dest = (...dirs: string[]) => dirs.map((d) => createLocalBackend({ root: join(root, d) }))

describe('sync with linkDest', () => {
  it('links what the last snapshot holds unchanged, and copies what changed or is new', async () => {
    await put('src', { a: 'alpha', 'sub/c': 'charlie', b: 'bravo' })
    expect(summary(await run('src', 'snap1'))).toMatchObject({ failed: 0, done: { copy: 3 } })
    await put('src', { b: 'BRAVO', d: 'delta' }, new Date(T0.getTime() + 60_000))

    const events = await run('src', 'snap2', { linkDest: dest('snap1') })
    expect(summary(events)).toMatchObject({ failed: 0, linked: 2, done: { copy: 4 } })
    expect(linkedPaths(events)).toEqual(['a', 'sub/c'])
    // A linked file moved no bytes: the run's bytes are those of the two copies.
    expect(summary(events).bytesTransferred).toBe('BRAVO'.length + 'delta'.length)
    expect(await inode('snap2/a')).toBe(await inode('snap1/a'))
    expect(await inode('snap2/sub/c')).toBe(await inode('snap1/sub/c'))
    expect(await inode('snap2/b')).not.toBe(await inode('snap1/b'))
    for (const f of ['a', 'b', 'd', 'sub/c']) {
      expect(await readFile(join(root, 'snap2', f), 'utf8')).toBe(await readFile(join(root, 'src', f), 'utf8'))
    }
    expect(await readFile(join(root, 'snap1', 'b'), 'utf8')).toBe('bravo')
  })

  it('tries the directories in order, and copies a file whose permissions differ', async () => {
    await put('src', { a: 'alpha', b: 'bravo' })
    await put('old', { b: 'bravo' })
    await put('older', { a: 'alpha', b: 'bravo' })
    await chmod(join(root, 'older', 'a'), 0o600)
    const events = await run('src', 'snap', { linkDest: dest('old', 'older') })
    expect(linkedPaths(events)).toEqual(['b'])
    expect(await inode('snap/b')).toBe(await inode('old/b'))
    expect(await inode('snap/a')).not.toBe(await inode('older/a'))
    expect((await stat(join(root, 'snap', 'a'))).mode & 0o777).toBe((await stat(join(root, 'src', 'a'))).mode & 0o777)
  })

  // Review of --link-dest F1: as root, a file chowned in the source was linked to the snapshot's
  // root-owned one, where a copy (and rsync) gives it the source's owner.
  it.runIf(process.geteuid?.() === 0)(
    "copies, never links, a file whose owner differs from the snapshot's",
    async () => {
      await put('src', { a: 'alpha', b: 'bravo' })
      await run('src', 'snap1')
      await chown(join(root, 'src', 'a'), 1234, 1234)
      const events = await run('src', 'snap2', { linkDest: dest('snap1') })
      expect(linkedPaths(events)).toEqual(['b'])
      const a = await stat(join(root, 'snap2', 'a'))
      expect([a.uid, a.gid]).toEqual([1234, 1234])
      expect(a.ino).not.toBe(await inode('snap1/a'))
    },
  )

  it('copies a file of the same size and mtime whose bytes differ under --checksum, and links it without', async () => {
    await put('src', { a: 'alpha' })
    await put('old', { a: 'ALPHA' })
    const checked = await run('src', 'snap', { linkDest: dest('old'), compare: 'checksum' })
    expect(linkedPaths(checked)).toEqual([])
    expect(await readFile(join(root, 'snap', 'a'), 'utf8')).toBe('alpha')
    // Without --checksum, as rsync: size and mtime say it is the same file.
    expect(linkedPaths(await run('src', 'snap-quick', { linkDest: dest('old') }))).toEqual(['a'])
  })

  it('copies where no link can be made: a directory on another backend, or a file that is not there', async () => {
    await put('src', { a: 'alpha', b: 'bravo' })
    const mem = createMemBackend()
    await writeText(mem, 'a', 'alpha', T0.getTime())
    const events = await run('src', 'snap', { linkDest: [mem, ...dest('nowhere')] })
    expect(summary(events)).toMatchObject({ failed: 0, done: { copy: 2 } })
    expect(summary(events).linked).toBeUndefined()
    expect(await readFile(join(root, 'snap', 'a'), 'utf8')).toBe('alpha')
  })

  it('never changes the snapshot linked from when the source changes a linked file later', async () => {
    await put('src', { a: 'alpha' })
    await run('src', 'snap1')
    await run('src', 'snap2', { linkDest: dest('snap1') })
    expect(await inode('snap2/a')).toBe(await inode('snap1/a'))
    const before = await stat(join(root, 'snap1', 'a'))
    // A chmod and a touch of the source: the next run of snap2 must not carry them to snap1's file.
    await chmod(join(root, 'src', 'a'), 0o600)
    const later = new Date(T0.getTime() + 3_600_000)
    await utimes(join(root, 'src', 'a'), later, later)
    expect(summary(await run('src', 'snap2'))).toMatchObject({ failed: 0 })
    const after = await stat(join(root, 'snap1', 'a'))
    expect(after.mode).toBe(before.mode)
    expect(after.mtimeMs).toBe(before.mtimeMs)
    expect((await stat(join(root, 'snap2', 'a'))).mode & 0o777).toBe(0o600)
    expect(await readFile(join(root, 'snap2', 'a'), 'utf8')).toBe('alpha')
  })

  it('refuses a linkDest that is not a list of backends', async () => {
    await put('src', { a: 'alpha' })
    const events = await run('src', 'snap', { linkDest: 'snap1' as unknown as SyncOptions['linkDest'] })
    expect(summary(events).fatal?.message).toContain('linkDest must be an array of Backends')
    expect(await stat(join(root, 'snap')).catch(() => 'not made')).toBe('not made')
  })
})

describe('linkFrom with targetExpect', () => {
  it('replaces nothing that is at the path when it is to be new, and links when nothing is', async () => {
    await put('old', { a: 'alpha' })
    await put('snap', { a: 'mine' })
    const [old, snap] = dest('old', 'snap')
    const a = 'a' as RelPath
    const held = await old!.stat(a)
    await expect(snap!.linkFrom(old!, a, a, { expect: held!, targetExpect: null })).rejects.toMatchObject({
      code: 'CONFLICT',
    })
    expect(await readFile(join(root, 'snap', 'a'), 'utf8')).toBe('mine')
    await rm(join(root, 'snap', 'a'))
    const linked = await snap!.linkFrom(old!, a, a, { expect: held!, targetExpect: null })
    expect(linked?.size).toBe(5)
    expect(await inode('snap/a')).toBe(await inode('old/a'))
  })
})
