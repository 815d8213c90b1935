import { randomBytes } from 'node:crypto'
import { chmod, chown, mkdir, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { p, syncLocal, tempDir } from './helpers.js'

const NOBODY = 65534
const T = new Date('2020-02-02T12:00:00Z')
const asRoot = process.geteuid?.() === 0
const NOT_ROOT = 'skipped: not running as root, so no file can be given away to keep its owner'

const run = syncLocal

/** A file of `nobody`'s with `mode` (set after the chown, which would clear its set-id bits). */
async function nobodysFile(path: string, data: string | Buffer, mode: number): Promise<void> {
  await writeFile(path, data)
  await chown(path, NOBODY, NOBODY)
  await chmod(path, mode)
  await utimes(path, T, T)
}

const ownerOf = async (path: string) => {
  const st = await stat(path)
  return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 }
}

// QA 22 #1: as root every file came out root's, a user's setuid program setuid-root. As rsync -a:
// the owner is kept from a local source (only root can give files away).
describe(`owners kept from a local source, as root${asRoot ? '' : ` (${NOT_ROOT})`}`, () => {
  it.skipIf(!asRoot)('a setuid file of nobody stays nobody’s and setuid (small and large copies)', async () => {
    const src = await tempDir('owner-src')
    const dst = await tempDir('owner-dst')
    await nobodysFile(join(src, 'myid'), 'a program', 0o4755)
    await nobodysFile(join(src, 'big'), randomBytes(1536 * 1024), 0o6750) // above the one-buffer copy
    await run(src, dst)
    expect(await ownerOf(join(dst, 'myid'))).toEqual({ uid: NOBODY, gid: NOBODY, mode: 0o4755 })
    expect(await ownerOf(join(dst, 'big'))).toEqual({ uid: NOBODY, gid: NOBODY, mode: 0o6750 })
  })

  it.skipIf(!asRoot)('an update keeps the source’s owner, not root’s nor the old file’s', async () => {
    const src = await tempDir('owner-src')
    const dst = await tempDir('owner-dst')
    await writeFile(join(dst, 'f'), 'old content, root’s')
    await nobodysFile(join(src, 'f'), 'new content', 0o644)
    await run(src, dst)
    expect(await ownerOf(join(dst, 'f'))).toEqual({ uid: NOBODY, gid: NOBODY, mode: 0o644 })
  })

  // Not given away as root: a user owning a directory root writes into can swap it for a symlink
  // between root's checks and its calls (security review 21). The files inside keep their owners.
  it.skipIf(!asRoot)(
    "a directory a root run makes stays root's, with the source's mode; its files keep their owners",
    async () => {
      const src = await tempDir('owner-src')
      const dst = await tempDir('owner-dst')
      await mkdir(join(src, 'home', 'user', 'empty'), { recursive: true })
      await nobodysFile(join(src, 'home', 'user', 'f'), 'f', 0o600)
      await chown(join(src, 'home', 'user', 'empty'), NOBODY, NOBODY)
      await chown(join(src, 'home', 'user'), NOBODY, NOBODY)
      await chmod(join(src, 'home', 'user'), 0o2750)
      await run(src, dst)
      expect(await ownerOf(join(dst, 'home'))).toMatchObject({ uid: 0, gid: 0 })
      expect(await ownerOf(join(dst, 'home', 'user'))).toEqual({ uid: 0, gid: 0, mode: 0o2750 })
      expect(await ownerOf(join(dst, 'home', 'user', 'empty'))).toMatchObject({ uid: 0, gid: 0 })
      expect(await ownerOf(join(dst, 'home', 'user', 'f'))).toEqual({ uid: NOBODY, gid: NOBODY, mode: 0o600 })
    },
  )

  it.skipIf(!asRoot)('a second run rewrites nothing', async () => {
    const src = await tempDir('owner-src')
    const dst = await tempDir('owner-dst')
    await mkdir(join(src, 'user'))
    await nobodysFile(join(src, 'user', 'myid'), 'a program', 0o4755)
    await nobodysFile(join(src, 'user', 'big'), randomBytes(1536 * 1024), 0o2755)
    await chown(join(src, 'user'), NOBODY, NOBODY)
    await run(src, dst)
    const before = await stat(join(dst, 'user', 'myid'))
    const events = await run(src, dst)
    expect(events.filter((e) => e.type === 'planned')).toEqual([])
    expect((await stat(join(dst, 'user', 'myid'))).ino).toBe(before.ino)
  })
})

// A body from S3, `syncflow serve`'s client or a plugin has no owner to keep: as `cp` without -p
// does as root, the file loses its set-id bits instead of becoming a setuid program of root's.
describe(`set-id bits of a write of unknown owner, as root${asRoot ? '' : ` (${NOT_ROOT})`}`, () => {
  it.skipIf(!asRoot)('write() clears setuid and setgid as root, and keeps the other bits', async () => {
    const dst = await tempDir('owner-dst')
    const b = createLocalBackend({ root: dst })
    await b.write(p('f'), Readable.from([Buffer.from('x')]), { mtimeMs: T.getTime(), mode: 0o6755 })
    expect(await ownerOf(join(dst, 'f'))).toEqual({ uid: 0, gid: 0, mode: 0o755 })
    await b.close()
  })

  it.skipIf(!asRoot)('a copy that lost them is not rewritten on every run after', async () => {
    const src = await tempDir('owner-src')
    const dst = await tempDir('owner-dst')
    await nobodysFile(join(src, 'myid'), 'a program', 0o4755)
    // A rate limit streams the file through write(), as a body from S3 would come.
    await run(src, dst, { bwlimit: 1 << 30 })
    expect(await ownerOf(join(dst, 'myid'))).toEqual({ uid: 0, gid: 0, mode: 0o755 })
    const before = await stat(join(dst, 'myid'))
    for (const opts of [{ bwlimit: 1 << 30 }, {}]) {
      const events = await run(src, dst, opts)
      expect(events.filter((e) => e.type === 'planned')).toEqual([])
    }
    expect((await stat(join(dst, 'myid'))).ino).toBe(before.ino)
  })

  it.skipIf(!asRoot)('a mode changed otherwise is still carried over', async () => {
    const src = await tempDir('owner-src')
    const dst = await tempDir('owner-dst')
    await nobodysFile(join(src, 'myid'), 'a program', 0o4755)
    await run(src, dst, { bwlimit: 1 << 30 })
    await chmod(join(src, 'myid'), 0o4750)
    await run(src, dst, { bwlimit: 1 << 30 })
    expect(await ownerOf(join(dst, 'myid'))).toEqual({ uid: 0, gid: 0, mode: 0o750 })
  })
})
