import { spawnSync } from 'node:child_process'
import { constants } from 'node:fs'
import {
  access,
  chmod,
  link,
  lstat,
  lutimes,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemBackend, sync } from '@syncflow/core'
import { rejectionOf } from '@syncflow/core/testkit'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { tempNameOf } from '../src/temp-file.js'
import { p, syncLocal, tempDir } from './helpers.js'

// `linkFrom` (--backup-dir between two local directories): the old file kept by a hard link.

const T = new Date('2024-01-01T00:00:00Z')

/** /dev/shm is a filesystem apart from the temp directory's (a tmpfs, on these machines): for the tests of another filesystem. */
const SHM_APART = await (async () => {
  const [shm, tmp] = await Promise.all([lstat('/dev/shm').catch(() => undefined), lstat(tmpdir())])
  if (shm === undefined || shm.dev === tmp.dev) return false
  return access('/dev/shm', constants.W_OK).then(
    () => true,
    () => false,
  )
})()

describe('LocalBackend.linkFrom', () => {
  it('links the other directory’s file under the path, replacing what was there, parents made', async () => {
    const [a, b] = [await tempDir('link-a'), await tempDir('link-b')]
    await mkdir(join(a, 'd'))
    await writeFile(join(a, 'd/f'), 'old bytes')
    await utimes(join(a, 'd/f'), T, T)
    await mkdir(join(b, 'd'))
    await writeFile(join(b, 'd/f'), 'a previous backup')
    const entry = await createLocalBackend({ root: b }).linkFrom(createLocalBackend({ root: a }), p('d/f'), p('d/f'))
    expect(entry).toMatchObject({ path: 'd/f', kind: 'file', size: 9, mtimeMs: T.getTime() })
    const [sa, sb] = [await lstat(join(a, 'd/f')), await lstat(join(b, 'd/f'))]
    expect(sb.ino).toBe(sa.ino)
    expect(sa.nlink).toBe(2)
    // Into a directory that did not exist yet, and a symlink as a symlink.
    await symlink('../elsewhere', join(a, 'link'))
    await createLocalBackend({ root: b }).linkFrom(createLocalBackend({ root: a }), p('link'), p('new/dir/link'))
    expect(await readlink(join(b, 'new/dir/link'))).toBe('../elsewhere')
  })

  it('says undefined for another kind of backend', async () => {
    const b = createLocalBackend({ root: await tempDir('link-b') })
    expect(await b.linkFrom(createMemBackend(), p('f'), p('f'))).toBeUndefined()
  })

  it.skipIf(!SHM_APART)('says undefined for another filesystem (the engine copies then)', async () => {
    const a = await tempDir('link-a')
    await writeFile(join(a, 'f'), 'x')
    const shm = await mkdtemp('/dev/shm/syncflow-link-')
    try {
      expect(await createLocalBackend({ root: shm }).linkFrom(createLocalBackend({ root: a }), p('f'), p('f'))).toBe(
        undefined,
      )
    } finally {
      await rm(shm, { recursive: true, force: true })
    }
  })

  it('never links a file reached through a symlinked directory of the other side', async () => {
    const [a, b, outside] = [await tempDir('link-a'), await tempDir('link-b'), await tempDir('link-out')]
    await writeFile(join(outside, 'secret'), 's')
    await symlink(outside, join(a, 'via'))
    const err = await rejectionOf(
      createLocalBackend({ root: b }).linkFrom(createLocalBackend({ root: a }), p('via/secret'), p('secret')),
    )
    expect(err).toMatchObject({ code: 'INVALID_PATH' })
    await expect(lstat(join(b, 'secret'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})

describe('a mirror with backupTo between local directories', () => {
  it('keeps the replaced and the deleted file by hard link: their old inodes, bytes and mtimes', async () => {
    const [src, dst, bak] = [await tempDir('bk-src'), await tempDir('bk-dst'), await tempDir('bk-bak')]
    await writeFile(join(src, 'f'), 'new content')
    await writeFile(join(dst, 'f'), 'old')
    await writeFile(join(dst, 'gone'), 'deleted')
    await utimes(join(dst, 'f'), T, T)
    const [oldF, oldGone] = [(await lstat(join(dst, 'f'))).ino, (await lstat(join(dst, 'gone'))).ino]
    await syncLocal(src, dst, { backupTo: createLocalBackend({ root: bak }) })
    expect(await readFile(join(dst, 'f'), 'utf8')).toBe('new content')
    await expect(lstat(join(dst, 'gone'))).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await readFile(join(bak, 'f'), 'utf8')).toBe('old')
    expect(await readFile(join(bak, 'gone'), 'utf8')).toBe('deleted')
    const [f, gone] = [await lstat(join(bak, 'f')), await lstat(join(bak, 'gone'))]
    expect([f.ino, gone.ino]).toEqual([oldF, oldGone])
    expect([f.nlink, gone.nlink]).toEqual([1, 1])
    expect(f.mtime).toEqual(T)
  })
})

// QA 24 #3: a backup directory that already holds the file (a `cp -al` snapshot) kept a temp link each run.
describe('linkFrom onto a name of the same file', () => {
  it('does nothing, and leaves no temp name behind', async () => {
    const [a, b] = [await tempDir('link-a'), await tempDir('link-b')]
    await writeFile(join(a, 'f'), 'x')
    await link(join(a, 'f'), join(b, 'f'))
    const entry = await createLocalBackend({ root: b }).linkFrom(createLocalBackend({ root: a }), p('f'), p('f'))
    expect(entry).toMatchObject({ path: 'f', kind: 'file', size: 1 })
    expect(await readdir(b)).toEqual(['f'])
  })
})

// QA 24 #9: a symlink kept by a copy (another filesystem) had the run's time as its mtime.
describe('a symlink kept in a backup directory on another filesystem', () => {
  it.skipIf(!SHM_APART)('keeps its own mtime', async () => {
    const shm = await mkdtemp('/dev/shm/syncflow-link-')
    try {
      const [src, dst] = [await tempDir('bk-src'), await tempDir('bk-dst')]
      await symlink('old-target', join(dst, 'l'))
      await lutimes(join(dst, 'l'), T, T)
      await symlink('new-target', join(src, 'l'))
      await syncLocal(src, dst, { backupTo: createLocalBackend({ root: shm }) })
      expect(await readlink(join(shm, 'l'))).toBe('old-target')
      expect((await lstat(join(shm, 'l'))).mtime).toEqual(T)
    } finally {
      await rm(shm, { recursive: true, force: true })
    }
  })
})

// Review 24 #2: an editor's save (a new file renamed over the name) just before or just after the
// hard link was kept as the old file, or expected, and then replaced on the target, kept nowhere.
describe('a target file saved over while it is kept', () => {
  /** A mirror that updates `a` (`update`) or deletes it (`delete`), the user saving `a` just `when` it is linked. */
  const savedOver = async (kind: 'update' | 'delete', when: 'before' | 'after') => {
    const [src, dst, bak] = [await tempDir('race-src'), await tempDir('race-dst'), await tempDir('race-bak')]
    await writeFile(join(src, 'keep'), 'k')
    await writeFile(join(dst, 'keep'), 'k')
    await utimes(join(src, 'keep'), T, T)
    await utimes(join(dst, 'keep'), T, T)
    if (kind === 'update') await writeFile(join(src, 'a'), 'from source')
    await writeFile(join(dst, 'a'), 'old target')
    await utimes(join(dst, 'a'), T, T)
    const save = async () => {
      await writeFile(join(dst, 'a.swp'), 'user edit')
      await rename(join(dst, 'a.swp'), join(dst, 'a'))
    }
    const backup = createLocalBackend({ root: bak })
    const racing = new Proxy(backup, {
      get(t, prop) {
        if (prop === 'linkFrom') {
          return async (...args: Parameters<typeof backup.linkFrom>) => {
            if (when === 'before') await save()
            const linked = await t.linkFrom(...args)
            if (when === 'after') await save()
            return linked
          }
        }
        const v = Reflect.get(t, prop, t)
        return typeof v === 'function' ? v.bind(t) : v
      },
    })
    const events = await lastValueFrom(
      sync(createLocalBackend({ root: src }), createLocalBackend({ root: dst }), {
        mode: 'mirror',
        backupTo: racing,
      }).pipe(toArray()),
    )
    const failed = events.flatMap((e) => (e.type === 'failed' ? [`${e.path} ${e.error.code}`] : []))
    return { failed, a: await readFile(join(dst, 'a'), 'utf8'), bak: await readTree(bak) }
  }

  it.each(['update', 'delete'] as const)(
    '%s, saved just after the link: refused (CONFLICT), the save stays',
    async (kind) => {
      expect(await savedOver(kind, 'after')).toEqual({
        failed: ['a CONFLICT'],
        a: 'user edit',
        bak: { a: 'old target' },
      })
    },
  )

  it.each(['update', 'delete'] as const)(
    '%s, saved just before the link: refused, not kept as the old file',
    async (kind) => {
      expect(await savedOver(kind, 'before')).toEqual({ failed: ['a CONFLICT'], a: 'user edit', bak: {} })
    },
  )
})

async function readTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of await readdir(root)) out[name] = await readFile(join(root, name), 'utf8')
  return out
}

// Review 24 #3: a backup's directories were 0755, so a file the target kept below a 0700 directory
// became readable by every local user there.
describe('privateDirs', () => {
  it('makes the root and every parent it creates 0700', async () => {
    const [a, b] = [await tempDir('link-a'), await tempDir('link-b')]
    await mkdir(join(a, 'private'), { mode: 0o700 })
    await writeFile(join(a, 'private', 'f'), 'x')
    const backup = createLocalBackend({ root: join(b, 'day1'), privateDirs: true })
    await backup.linkFrom(createLocalBackend({ root: a }), p('private/f'), p('private/f'))
    const mode = async (path: string) => (await lstat(path)).mode & 0o777
    expect([await mode(join(b, 'day1')), await mode(join(b, 'day1', 'private'))]).toEqual([0o700, 0o700])
  })
})

// QA 24 #4: a backup directory is written to, never listed: a killed run's partial copy stayed there for ever.
describe('sweepWrittenDirs', () => {
  it('removes the stale temp files of a directory it writes to, once, and leaves a live one', async () => {
    const [a, b] = [await tempDir('link-a'), await tempDir('link-b')]
    await writeFile(join(a, 'f'), 'x')
    await mkdir(join(b, 'd'))
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
    const dead = tempNameOf(Number(child.stdout.toString()))
    const live = tempNameOf(process.pid)
    await writeFile(join(b, 'd', dead), 'half a copy')
    await writeFile(join(b, 'd', live), 'a write in flight')
    const backup = createLocalBackend({ root: b, sweepWrittenDirs: true })
    await backup.linkFrom(createLocalBackend({ root: a }), p('f'), p('d/f'))
    expect((await readdir(join(b, 'd'))).sort()).toEqual(['f', live].sort())
  })
})

// Review 24b B2: a backup's directories were all 0700, and a restore from it made every restored
// directory private (a web root the web server could no longer read).
describe('dirModesFrom', () => {
  it('gives each directory it makes the mode of its namesake there, never writable by others', async () => {
    const [a, b] = [await tempDir('link-a'), await tempDir('link-b')]
    for (const [dir, mode] of [
      ['pub', 0o755],
      ['pub/private', 0o700],
      ['shared', 0o777],
    ] as const) {
      await mkdir(join(a, dir))
      await chmod(join(a, dir), mode)
      await writeFile(join(a, dir, 'f'), 'x')
    }
    await chmod(a, 0o750)
    const backup = createLocalBackend({ root: join(b, 'day1'), privateDirs: true, dirModesFrom: a })
    const target = createLocalBackend({ root: a })
    for (const f of ['pub/f', 'pub/private/f', 'shared/f']) await backup.linkFrom(target, p(f), p(f))
    const mode = async (path: string) => (await lstat(join(b, 'day1', path))).mode & 0o777
    expect([await mode(''), await mode('pub'), await mode('pub/private'), await mode('shared')]).toEqual([
      0o750, 0o755, 0o700, 0o755,
    ])
  })
})

// Review 24b B1: a backup directory inside the target, replaced by a symlink during the run (by
// whoever may write the target), had the kept files hard-linked where the symlink pointed.
describe('rootIdentity', () => {
  it('refuses every write once the root is no longer that directory, and writes nothing where it leads', async () => {
    const [a, b, elsewhere] = [await tempDir('link-a'), await tempDir('link-b'), await tempDir('link-out')]
    await writeFile(join(a, 'passwd'), 'from the target')
    const root = join(b, '.old')
    await mkdir(root)
    const st = await lstat(root)
    const backup = createLocalBackend({ root, rootIdentity: `${st.dev}:${st.ino}` })
    const target = createLocalBackend({ root: a })
    expect(await backup.linkFrom(target, p('passwd'), p('first'))).toMatchObject({ path: 'first' })
    await rename(root, `${root}-moved`)
    await symlink(elsewhere, root)
    const err = await rejectionOf(backup.linkFrom(target, p('passwd'), p('passwd')))
    expect(err).toMatchObject({ code: 'INVALID_PATH' })
    expect(await readdir(elsewhere)).toEqual([])
  })

  // A watch's target renamed away and made anew: its --backup-dir inside is pinned anew, once.
  it('asks repinRoot for the directory to pin once the root is another, and writes there', async () => {
    const [a, b] = [await tempDir('link-a'), await tempDir('link-b')]
    await writeFile(join(a, 'f'), 'old version')
    const root = join(b, '.old')
    await mkdir(root)
    const idOf = async (dir: string) => {
      const st = await lstat(dir)
      return `${st.dev}:${st.ino}`
    }
    let asked = 0
    const backup = createLocalBackend({
      root,
      rootIdentity: await idOf(root),
      repinRoot: async () => {
        asked++
        await mkdir(root, { recursive: true })
        return idOf(root)
      },
    })
    const target = createLocalBackend({ root: a })
    await backup.linkFrom(target, p('f'), p('first'))
    expect(asked).toBe(0)
    await rename(root, `${root}-moved`)
    await Promise.all([p('x'), p('y'), p('z')].map((to) => backup.linkFrom(target, p('f'), to)))
    expect(asked).toBe(1)
    expect((await readdir(root)).sort()).toEqual(['x', 'y', 'z'])
    expect(await readdir(`${root}-moved`)).toEqual(['first'])
  })

  it('refuses the write when repinRoot gives nothing (or fails), writing nothing where a symlink leads', async () => {
    const [a, b, elsewhere] = [await tempDir('link-a'), await tempDir('link-b'), await tempDir('link-out')]
    await writeFile(join(a, 'f'), 'from the target')
    const root = join(b, '.old')
    await mkdir(root)
    const st = await lstat(root)
    for (const repinRoot of [async () => undefined, () => Promise.reject(new Error('a symlink in the target'))]) {
      const backup = createLocalBackend({ root, rootIdentity: `${st.dev}:${st.ino}`, repinRoot })
      await rm(root, { recursive: true, force: true })
      await symlink(elsewhere, root)
      expect(await rejectionOf(backup.linkFrom(createLocalBackend({ root: a }), p('f'), p('f')))).toMatchObject({
        code: 'INVALID_PATH',
      })
      expect(await readdir(elsewhere)).toEqual([])
      await rm(root)
      await mkdir(root)
    }
  })
})

// Review 24b B4: keeping one name of a group of hard links in the target moved the shared inode's
// ctime, and each other name then failed CONFLICT (one more run per name, each holding back deletes).
describe('a group of hard links in the target', () => {
  it('is kept and updated in one run', async () => {
    const [src, dst, bak] = [await tempDir('hl-src'), await tempDir('hl-dst'), await tempDir('hl-bak')]
    await writeFile(join(dst, 'h0'), 'shared old content')
    for (let i = 1; i < 4; i++) await link(join(dst, 'h0'), join(dst, `h${i}`))
    for (let i = 0; i < 4; i++) await writeFile(join(src, `h${i}`), `new ${i}`)
    await writeFile(join(dst, 'extra'), 'to delete')
    await syncLocal(src, dst, { backupTo: createLocalBackend({ root: bak }) })
    expect(await readTree(dst)).toEqual({ h0: 'new 0', h1: 'new 1', h2: 'new 2', h3: 'new 3' })
    expect(await readTree(bak)).toEqual({
      extra: 'to delete',
      h0: 'shared old content',
      h1: 'shared old content',
      h2: 'shared old content',
      h3: 'shared old content',
    })
  })
})

// QA 24b #2: without --backup-dir too (or with one on another filesystem), each name of a group of
// hard links failed CONFLICT in turn: writing or deleting one name moves the inode's ctime.
describe('a group of hard links in the target, no backup', () => {
  it('is updated, and its extra names deleted, in one run', async () => {
    const [src, dst] = [await tempDir('hl-src'), await tempDir('hl-dst')]
    await writeFile(join(dst, 'h0'), 'shared old content')
    for (let i = 1; i < 6; i++) await link(join(dst, 'h0'), join(dst, `h${i}`))
    for (let i = 0; i < 4; i++) await writeFile(join(src, `h${i}`), `new ${i}`)
    await syncLocal(src, dst)
    expect(await readTree(dst)).toEqual({ h0: 'new 0', h1: 'new 1', h2: 'new 2', h3: 'new 3' })
  })

  it('a file changed since it was planned is still refused when deleted (CONFLICT)', async () => {
    const dst = await tempDir('hl-dst')
    await writeFile(join(dst, 'f'), 'planned')
    const target = createLocalBackend({ root: dst })
    const planned = await target.stat(p('f'))
    await writeFile(join(dst, 'f'), 'edited since, longer')
    const err = await rejectionOf(target.remove(p('f'), { expect: planned! }))
    expect(err).toMatchObject({ code: 'CONFLICT' })
    expect(await readFile(join(dst, 'f'), 'utf8')).toBe('edited since, longer')
  })
})
