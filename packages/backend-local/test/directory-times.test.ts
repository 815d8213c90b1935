import { chmod, mkdir, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createPathFilter, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { syncLocal, tempDir, withoutRootPrivileges } from './helpers.js'

const T = new Date('2019-05-05T12:00:00Z')
const mtimeOf = async (path: string) => (await stat(path)).mtimeMs

const run = syncLocal

// rsync -a keeps directory mtimes: the writes into a directory (temp file, rename) change its
// mtime, so they are set back once the run's last change is made.
describe('directory mtimes', () => {
  it('a new directory gets its source mtime, after the files written into it', async () => {
    const src = await tempDir('dirtimes-src')
    const dst = await tempDir('dirtimes-dst')
    await mkdir(join(src, 'd', 'e'), { recursive: true })
    await writeFile(join(src, 'd', 'f'), 'f')
    await writeFile(join(src, 'd', 'e', 'g'), 'g')
    await utimes(join(src, 'd', 'e'), T, T)
    await utimes(join(src, 'd'), T, T)
    await run(src, dst)
    expect(await mtimeOf(join(dst, 'd'))).toBe(T.getTime())
    expect(await mtimeOf(join(dst, 'd', 'e'))).toBe(T.getTime())
  })

  it('a directory whose files a run updates or deletes keeps its mtime; a dry run changes nothing', async () => {
    const src = await tempDir('dirtimes-src')
    const dst = await tempDir('dirtimes-dst')
    await mkdir(join(src, 'd'))
    await writeFile(join(src, 'd', 'f'), 'f')
    await writeFile(join(src, 'd', 'gone'), 'x')
    await utimes(join(src, 'd'), T, T)
    await run(src, dst)
    await writeFile(join(src, 'd', 'f'), 'longer f') // a directory's mtime does not change for this
    await rm(join(src, 'd', 'gone'))
    await utimes(join(src, 'd'), T, T) // …but it does for a removal: the source's says so
    const dstBefore = await mtimeOf(join(dst, 'd'))
    await run(src, dst, { dryRun: true })
    expect(await mtimeOf(join(dst, 'd'))).toBe(dstBefore)
    const events = await run(src, dst)
    expect(events.at(-1)).toMatchObject({ summary: { done: { update: 1, delete: 1 } } })
    expect(await mtimeOf(join(dst, 'd'))).toBe(T.getTime())
  })
})

describe('directory mtimes and deletes', () => {
  // restore() went through mkdir, which makes a missing directory: one the run had just deleted
  // (--delete-excluded) came back.
  it('a directory the run deleted is not made again', async () => {
    const src = await tempDir('dirtimes-del-src')
    const dst = await tempDir('dirtimes-del-dst')
    await writeFile(join(src, 'keep'), 'k')
    await mkdir(join(src, 'cache')) // excluded: the source has it, the target must not
    await writeFile(join(src, 'cache', 'new'), 'n')
    await mkdir(join(dst, 'cache'))
    await writeFile(join(dst, 'cache', 'old'), 'o')
    await run(src, dst, { filter: createPathFilter({ exclude: ['cache/'] }), deleteExcluded: true })
    expect(await readdir(dst)).toEqual(['keep'])
  })
})

describe('a directory the syncing user may write into but does not own', () => {
  // Its chmod (a mode that differs) and utimes fail with EPERM: never a failure that holds back the
  // run's deletes (review finding: every run failed and deleted nothing). The mode it keeps is said
  // (PERMISSION, exit 1, as rsync's "failed to set permissions"), not printed as done (QA 31b #1).
  it('is synced into, and the run still deletes', async (t) => {
    const src = await tempDir('not-owner-src')
    const dst = await tempDir('not-owner-dst')
    await mkdir(join(src, 'shared'), { mode: 0o755 })
    await writeFile(join(src, 'shared', 'f'), 'f')
    await chmod(src, 0o755)
    await mkdir(join(dst, 'shared'))
    await chmod(join(dst, 'shared'), 0o777) // root's, open to all
    await writeFile(join(dst, 'shared', 'stale'), 's')
    await chmod(join(dst, 'shared', 'stale'), 0o666)
    await chmod(dst, 0o777)
    const ran = await withoutRootPrivileges(() =>
      lastValueFrom(
        sync(createLocalBackend({ root: src }), createLocalBackend({ root: dst }), { mode: 'mirror' }).pipe(toArray()),
      ),
    )
    if (ran === undefined) return t.skip('running as root without seteuid(): cannot act as a user who does not own it')
    expect(ran.value.at(-1)).toMatchObject({ summary: { failed: 1, done: { copy: 1, delete: 1 } } })
    expect(ran.value.filter((e) => e.type === 'failed')).toMatchObject([
      { path: 'shared', error: { code: 'PERMISSION' } },
    ])
    expect((await readdir(join(dst, 'shared'))).sort()).toEqual(['f'])
  })
})

describe('a directory whose mtime alone differs, that the syncing user does not own', () => {
  // Review finding: its touch (a3bbfe4) went through setMtime, which fails with EPERM there: every
  // run failed and deleted nothing. Then best effort, through mkdir: `touched shared`, exit 0, on
  // every run, while its mtime stayed as it was. Now said as rsync's "failed to set times" (exit 23):
  // a failure of its own, PERMISSION, that holds back no delete.
  it('is a failure that holds back no delete, never "touched"', async (t) => {
    const src = await tempDir('not-owner-touch-src')
    const dst = await tempDir('not-owner-touch-dst')
    await mkdir(join(src, 'shared'))
    await writeFile(join(src, 'shared', 'f'), 'f')
    await chmod(join(src, 'shared'), 0o777)
    await utimes(join(src, 'shared', 'f'), T, T)
    await chmod(src, 0o755)
    await mkdir(join(dst, 'shared'))
    await writeFile(join(dst, 'shared', 'f'), 'f')
    await utimes(join(dst, 'shared', 'f'), T, T)
    await writeFile(join(dst, 'shared', 'stale'), 's')
    await chmod(join(dst, 'shared', 'stale'), 0o666)
    await chmod(join(dst, 'shared'), 0o777) // root's, open to all
    await chmod(dst, 0o777)
    await utimes(join(src, 'shared'), T, T) // only the directory's mtime differs
    const ran = await withoutRootPrivileges(() =>
      lastValueFrom(
        sync(createLocalBackend({ root: src }), createLocalBackend({ root: dst }), { mode: 'mirror' }).pipe(toArray()),
      ),
    )
    if (ran === undefined) return t.skip('running as root without seteuid(): cannot act as a user who does not own it')
    expect(ran.value.at(-1)).toMatchObject({ summary: { failed: 1, done: { delete: 1, copy: 0, touch: 0 } } })
    expect(ran.value.filter((e) => e.type === 'failed')).toMatchObject([
      { path: 'shared', error: { code: 'PERMISSION', message: expect.stringContaining('mtime could not be set') } },
    ])
    expect((await readdir(join(dst, 'shared'))).sort()).toEqual(['f'])
  })
})

describe('read-only directories, as a user who is not root', () => {
  // A 0555 directory given its mode when made could not receive its files: every file in it failed
  // on every run (EACCES), and a temp file stayed behind (QA round 10). rsync makes it writable while
  // it works and sets the mode at the end; so do we.
  it('are synced with their files, and end with their own modes; a second run does nothing', async (t) => {
    const base = await tempDir('ro-dirs')
    const src = join(base, 'src')
    const dst = join(base, 'dst')
    await mkdir(join(src, 'ro', 'sub'), { recursive: true })
    await writeFile(join(src, 'ro', 'f'), 'f')
    await writeFile(join(src, 'ro', 'sub', 'g'), 'g')
    await chmod(join(src, 'ro', 'f'), 0o444)
    await chmod(join(src, 'ro', 'sub'), 0o555)
    await chmod(join(src, 'ro'), 0o555)
    await utimes(join(src, 'ro'), T, T)
    // Everything belongs to root here: let nobody (the test's user when run as root) own it all.
    if (process.getuid?.() === 0) await chown(base, 65534, 65534, true)
    const ran = await withoutRootPrivileges(async () => {
      const first = await run(src, dst)
      const second = await run(src, dst)
      return { first, second }
    })
    if (ran === undefined) return t.skip('running as root without seteuid(): cannot act as a user')
    expect(ran.value.first.at(-1)).toMatchObject({ summary: { failed: 0, done: { copy: 2, mkdir: 2 } } })
    expect((await stat(join(dst, 'ro'))).mode & 0o7777).toBe(0o555)
    expect((await stat(join(dst, 'ro', 'sub'))).mode & 0o7777).toBe(0o555)
    expect(await mtimeOf(join(dst, 'ro'))).toBe(T.getTime())
    expect((await readdir(join(dst, 'ro'))).sort()).toEqual(['f', 'sub']) // no temp file left
    expect(ran.value.second.at(-1)).toMatchObject({
      summary: { failed: 0, done: { copy: 0, mkdir: 0, update: 0 }, unchanged: 2 },
    })
    // Review finding: the target's directories exist now, read-only. A file added to, one deleted
    // from, and a directory made in the source's read-only directory reach it too (rsync -a does).
    const later = await withoutRootPrivileges(async () => {
      await chmod(join(src, 'ro'), 0o755)
      await writeFile(join(src, 'ro', 'new'), 'n')
      await rm(join(src, 'ro', 'f'), { force: true })
      await mkdir(join(src, 'ro', 'made'))
      await writeFile(join(src, 'ro', 'made', 'h'), 'h')
      await chmod(join(src, 'ro'), 0o555)
      await utimes(join(src, 'ro'), T, T)
      return run(src, dst)
    })
    expect(later?.value.at(-1)).toMatchObject({ summary: { failed: 0, done: { copy: 2, delete: 1, mkdir: 1 } } })
    expect((await readdir(join(dst, 'ro'))).sort()).toEqual(['made', 'new', 'sub'])
    expect((await stat(join(dst, 'ro'))).mode & 0o7777).toBe(0o555)
    expect(await mtimeOf(join(dst, 'ro'))).toBe(T.getTime())
    // Writable again, so that the temp directory can be removed.
    await chmod(join(dst, 'ro', 'sub'), 0o755)
    await chmod(join(dst, 'ro'), 0o755)
    await chmod(join(dst, 'ro', 'made'), 0o755)
    await chmod(join(src, 'ro', 'sub'), 0o755)
    await chmod(join(src, 'ro'), 0o755)
  })
})

// QA 22 #10: a target directory of the user's that may be read but not searched (0600, 0000, 0300):
// each name in it failed to stat (PERMISSION), a file there was then planned as new and refused as
// having "appeared" (CONFLICT), and it took a second run, after the first gave it the source's mode.
// rsync makes such a directory usable while it works, and finishes in one run.
describe('directories the user may not search, as a user who is not root', () => {
  for (const mode of [0o600, 0o000, 0o300]) {
    it(`a ${mode.toString(8).padStart(4, '0')} target directory is synced in one run, and gets the source's mode`, async (t) => {
      const base = await tempDir('unsearchable')
      const src = join(base, 'src')
      const dst = join(base, 'dst')
      await mkdir(join(src, 'd'), { recursive: true })
      await mkdir(join(dst, 'd', 'e'), { recursive: true })
      await writeFile(join(src, 'd', 'x'), 'new')
      await writeFile(join(dst, 'd', 'x'), 'old1')
      await writeFile(join(dst, 'd', 'stale'), 'st')
      await writeFile(join(dst, 'd', 'e', 'q'), 'q')
      if (process.getuid?.() === 0) await chown(base, 65534, 65534, true)
      const ran = await withoutRootPrivileges(async () => {
        await chmod(join(dst, 'd'), mode)
        return run(src, dst) // (asserts that nothing failed)
      })
      if (ran === undefined) return t.skip('running as root without seteuid(): cannot act as a user')
      expect(ran.value.at(-1)).toMatchObject({ summary: { failed: 0, done: { update: 1, delete: 3 } } })
      expect((await stat(join(dst, 'd'))).mode & 0o7777).toBe(0o755)
      expect((await readdir(join(dst, 'd'))).sort()).toEqual(['x'])
    })
  }

  // Review 23 F2: the mode was given back by path at close, following a symlink the run had put in
  // the directory's place (the source has one there): a private file outside the target became 0666.
  it('its mode comes back to it alone: not through a symlink, nor to a file the run put in its place', async (t) => {
    const base = await tempDir('unsearchable-replaced')
    const src = join(base, 'src')
    const dst = join(base, 'dst')
    await mkdir(src, { recursive: true })
    await mkdir(join(dst, 'd'), { recursive: true })
    await mkdir(join(dst, 'e'), { recursive: true })
    await writeFile(join(dst, 'd', 'inner'), 'x')
    await writeFile(join(dst, 'e', 'inner'), 'y')
    await writeFile(join(base, 'notes'), 'private')
    await symlink('../notes', join(src, 'd'))
    await writeFile(join(src, 'e'), 'a file now')
    if (process.getuid?.() === 0) await chown(base, 65534, 65534, true)
    const ran = await withoutRootPrivileges(async () => {
      await chmod(join(base, 'notes'), 0o600)
      await chmod(join(src, 'e'), 0o644)
      await chmod(join(dst, 'd'), 0o666)
      await chmod(join(dst, 'e'), 0o600)
      // Closed at the end, as a job closes them: that is when modes come back.
      const source = createLocalBackend({ root: src })
      const target = createLocalBackend({ root: dst })
      try {
        return await lastValueFrom(sync(source, target, { mode: 'mirror' }).pipe(toArray()))
      } finally {
        await source.close()
        await target.close()
      }
    })
    if (ran === undefined) return t.skip('running as root without seteuid(): cannot act as a user')
    expect((await stat(join(base, 'notes'))).mode & 0o7777).toBe(0o600)
    expect((await stat(join(dst, 'e'))).mode & 0o7777).toBe(0o644)
  })

  it("listed for a run that writes, it gets its own mode back at close; a dry run's listing leaves it", async (t) => {
    const dst = await tempDir('unsearchable-list')
    await mkdir(join(dst, 'd'))
    await writeFile(join(dst, 'd', 'x'), 'abc')
    if (process.getuid?.() === 0) await chown(dst, 65534, 65534, true)
    const listed = async (cleanUp: boolean) => {
      const backend = createLocalBackend({ root: dst })
      const paths: string[] = []
      const errors: string[] = []
      for await (const e of backend.list({ cleanUp, onError: (err) => void errors.push(`${err.code} ${err.path}`) })) {
        paths.push(`${e.path} ${e.size}`)
      }
      const during = (await stat(join(dst, 'd'))).mode & 0o7777
      await backend.close()
      return { paths, errors, during, after: (await stat(join(dst, 'd'))).mode & 0o7777 }
    }
    const ran = await withoutRootPrivileges(async () => {
      await chmod(join(dst, 'd'), 0o600)
      return { dry: await listed(false), writing: await listed(true) }
    })
    if (ran === undefined) return t.skip('running as root without seteuid(): cannot act as a user')
    expect(ran.value.dry).toEqual({ paths: ['d 0'], errors: ['PERMISSION d/x'], during: 0o600, after: 0o600 })
    expect(ran.value.writing).toEqual({ paths: ['d 0', 'd/x 3'], errors: [], during: 0o700, after: 0o600 })
    await chmod(join(dst, 'd'), 0o755)
  })
})

async function chown(path: string, uid: number, gid: number, recursive: boolean): Promise<void> {
  const { lchown } = await import('node:fs/promises')
  await lchown(path, uid, gid)
  if (!recursive) return
  const st = await stat(path)
  if (!st.isDirectory()) return
  for (const name of await readdir(path)) await chown(join(path, name), uid, gid, true)
}

describe('a directory whose mtime alone differs', () => {
  // QA round 11: a run killed after writing into a directory leaves its mtime wrong (times are set
  // back at a run's end), and a `touch` of a source directory was never carried over; rsync -a sets
  // every directory's mtime. Now such a directory is touched.
  it('gets the source mtime (a touch), and a second run does nothing', async () => {
    const src = await tempDir('dir-touch-src')
    const dst = await tempDir('dir-touch-dst')
    await mkdir(join(src, 'd'))
    await writeFile(join(src, 'd', 'f'), 'f')
    await run(src, dst)
    await utimes(join(src, 'd'), T, T) // touch -d in the source
    await utimes(join(dst, 'd'), new Date(), new Date()) // …and a target left wrong by a killed run
    const events = await run(src, dst)
    expect(events.at(-1)).toMatchObject({ summary: { done: { touch: 1, copy: 0, update: 0 } } })
    expect(await mtimeOf(join(dst, 'd'))).toBe(T.getTime())
    expect((await run(src, dst)).at(-1)).toMatchObject({ summary: { done: { touch: 0 } } })
  })
})
