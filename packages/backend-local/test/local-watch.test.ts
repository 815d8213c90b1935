import { readdirSync, readFileSync } from 'node:fs'
import { appendFile, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Change } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { watchLocal } from '../src/local-watch.js'
import { tempDir } from './helpers.js'

/** Collects `type path` strings; resolves once the watcher says it reports every change. */
async function watching(root: string, followSymlinks = false) {
  const seen: string[] = []
  const abort = new AbortController()
  let completed = false
  let ready: () => void = () => {}
  const isReady = new Promise<void>((resolve) => {
    ready = resolve
  })
  let failed: unknown
  const sub = watchLocal(root, {
    followSymlinks,
    signal: abort.signal,
    ignoreName: (n) => n.startsWith('.syncflow-tmp-'),
    onReady: () => ready(),
  }).subscribe({
    next: (c: Change) => seen.push(`${c.type} ${c.path}`),
    complete: () => (completed = true),
    error: (err: unknown) => (failed = err),
  })
  await isReady
  return { seen, abort, sub, completed: () => completed, failed: () => failed }
}

/** The inotify watches this process holds (Linux: the `inotify wd:` lines of its descriptors). */
function inotifyWatches(): number {
  let n = 0
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      n += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('inotify wd:')).length
    } catch {
      // Closed since it was listed.
    }
  }
  return n
}

describe('watchLocal', () => {
  it('reports writes, new directories, renames and deletes as upserts and removes', async () => {
    const root = await tempDir('watch')
    const w = await watching(root)
    await mkdir(join(root, 'dir'))
    await writeFile(join(root, 'dir', 'a.txt'), 'a')
    await expect
      .poll(() => w.seen, { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['upsert dir', 'upsert dir/a.txt']))
    await rename(join(root, 'dir', 'a.txt'), join(root, 'b.txt'))
    await expect
      .poll(() => w.seen, { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['remove dir/a.txt', 'upsert b.txt']))
    await rm(join(root, 'b.txt'))
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('remove b.txt')
    w.abort.abort()
    expect(w.completed()).toBe(true)
  })

  // An editor's save, `sed -i`, `mv tmp file`: the name was there before and is there after, so a
  // fresh reading of the directory alone shows no difference; the rename event's name tells.
  it('reports a file replaced by a rename over it (same name, new inode)', async () => {
    const root = await tempDir('watch')
    await writeFile(join(root, 'doc.txt'), 'v1')
    await writeFile(join(root, 'other.txt'), 'o1')
    const w = await watching(root)
    await writeFile(join(root, '.doc.txt.swp'), 'version 2')
    await rename(join(root, '.doc.txt.swp'), join(root, 'doc.txt'))
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert doc.txt')
    // `mv a b` with b there: both names are reported.
    await rename(join(root, 'doc.txt'), join(root, 'other.txt'))
    await expect
      .poll(() => w.seen, { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['remove doc.txt', 'upsert other.txt']))
    w.sub.unsubscribe()
  })

  it('never reports its own temp files', async () => {
    const root = await tempDir('watch')
    const w = await watching(root)
    await writeFile(join(root, '.syncflow-tmp-1-abcdef012345'), 'x')
    await writeFile(join(root, 'after'), 'y')
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert after')
    expect(w.seen.some((s) => s.includes('syncflow-tmp'))).toBe(false)
    w.sub.unsubscribe()
  })

  // QA: the decoded form of a name that is not UTF-8 (caf\uFFFD for caf\xE9) addresses another,
  // missing file; passed on as a remove, the target's file of that name was deleted.
  it('passes on a name that is not UTF-8 when made (its stat reports it), not its writes nor its removal', async () => {
    const root = await tempDir('watch')
    const w = await watching(root)
    const latin1 = Buffer.concat([Buffer.from(join(root, 'caf')), Buffer.from([0xe9])])
    await writeFile(latin1, 'latin-1 name')
    await writeFile(join(root, 'real\ufffd'), 'a U+FFFD in a UTF-8 name')
    await writeFile(join(root, 'marker'), 'm')
    await expect
      .poll(() => w.seen, { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['upsert caf\ufffd', 'upsert real\ufffd', 'upsert marker']))
    // Each append was a failed cycle of its own (QA 6 F6).
    for (let i = 0; i < 3; i++) await appendFile(latin1, ' more')
    await writeFile(join(root, 'marker2'), 'm')
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert marker2')
    expect(w.seen.filter((s) => s === 'upsert caf\ufffd')).toHaveLength(1)
    await rm(latin1)
    await rm(join(root, 'marker'))
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('remove marker')
    expect(w.seen.filter((s) => s.startsWith('remove caf'))).toEqual([])
    w.sub.unsubscribe()
  })

  // QA: a file renamed to a name with a control character was reported only by the next rescan (an
  // hour later by default), while the delete of its old name ran at once.
  it('passes on a name made with a control character (not what is inside such a directory), never its removal', async () => {
    const root = await tempDir('watch')
    await writeFile(join(root, 'keep'), 'k')
    const w = await watching(root)
    await rename(join(root, 'keep'), join(root, 'kee\tp'))
    await mkdir(join(root, 'd\tx'))
    await writeFile(join(root, 'd\tx', 'inner'), 'i')
    await expect
      .poll(() => w.seen, { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['upsert kee\tp', 'upsert d\tx']))
    await rm(join(root, 'kee\tp'))
    await writeFile(join(root, 'marker'), 'm')
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert marker')
    expect(w.seen.filter((s) => s !== 'upsert marker').sort()).toEqual(['remove keep', 'upsert d\tx', 'upsert kee\tp'])
    w.sub.unsubscribe()
  })

  // QA F11: `echo x > NAME` (made, then written) was reported twice by `syncflow watch`, a file
  // written in many pieces once per write.
  it('passes on a name with a control character once when it is made, not again for each write to it', async () => {
    const root = await tempDir('watch')
    const w = await watching(root)
    const name = join(root, 'new\ttab.txt')
    await writeFile(name, 'made')
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert new\ttab.txt')
    await appendFile(name, ' and written')
    await appendFile(name, ' twice')
    // The marker's event comes after the writes' own (one directory, events in order).
    await writeFile(join(root, 'marker'), 'm')
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert marker')
    expect(w.seen.filter((s) => s.includes('\t'))).toEqual(['upsert new\ttab.txt'])
    w.sub.unsubscribe()
  })

  // The engine holds the cycle's deletes back: the name's stat fails as its listing would.
  it('passes on a rename to a name that is not UTF-8 as the remove and the new (decoded) name', async () => {
    const root = await tempDir('watch')
    await writeFile(join(root, 'keep.txt'), 'k')
    const w = await watching(root)
    await rename(
      join(root, 'keep.txt'),
      Buffer.concat([Buffer.from(join(root, 'caf')), Buffer.from([0xe9, 0x2e, 0x74])]),
    )
    await expect
      .poll(() => w.seen, { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['remove keep.txt', 'upsert caf\ufffd.t']))
    w.sub.unsubscribe()
  })

  it('is what LocalBackend.watch offers (capabilities: native, announces readiness)', async () => {
    const root = await tempDir('watch')
    await writeFile(join(root, 'before'), 'not reported')
    const b = createLocalBackend({ root })
    expect(b.capabilities).toMatchObject({ watch: 'native', watchReady: true })
    const seen: string[] = []
    let ready: () => void = () => {}
    const isReady = new Promise<void>((resolve) => {
      ready = resolve
    })
    const sub = b.watch({ onReady: () => ready() }).subscribe((c) => seen.push(c.path))
    await isReady
    await writeFile(join(root, 'x'), 'right after ready')
    // A write can come as two hints (inotify's create, then modify): hints, not a count of writes.
    await expect.poll(() => [...new Set(seen)], { timeout: 10_000 }).toEqual(['x'])
    sub.unsubscribe()
    await b.close()
  })

  it('reports everything in a tree of new directories made faster than it can watch them', async () => {
    const root = await tempDir('watch')
    const w = await watching(root)
    const files: string[] = []
    // Made at once, before any event is handled: the contents of each new directory are found by reading it.
    for (let d = 0; d < 5; d++) {
      await mkdir(join(root, `a${d}`, 'b', 'c'), { recursive: true })
      for (let f = 0; f < 20; f++) {
        const rel = `a${d}/b/${f % 2 ? 'c/' : ''}f${f}.txt`
        await writeFile(join(root, rel), `${f}`)
        files.push(`upsert ${rel}`)
      }
    }
    await expect.poll(() => w.seen, { timeout: 10_000 }).toEqual(expect.arrayContaining([...files, 'upsert a4/b/c']))
    // Still watched afterwards: a write deep inside is seen.
    await writeFile(join(root, 'a0/b/c/late.txt'), 'late')
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert a0/b/c/late.txt')
    w.sub.unsubscribe()
  })

  it('reports a removed directory, stops watching it, and watches a new one of the same name', async () => {
    const root = await tempDir('watch')
    await mkdir(join(root, 'd'))
    const w = await watching(root)
    await rm(join(root, 'd'), { recursive: true })
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('remove d')
    await writeFile(join(root, 'd'), 'now a file')
    // Once or twice (create, then modify): hints, not a count of writes.
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert d')
    await rm(join(root, 'd'))
    await mkdir(join(root, 'd'))
    await writeFile(join(root, 'd', 'x'), 'x')
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert d/x')
    w.sub.unsubscribe()
  })

  it('keeps watching a directory removed and made again at once (a new inode under the same name)', async () => {
    const root = await tempDir('watch')
    await mkdir(join(root, 'd'))
    await writeFile(join(root, 'd', 'old'), 'old')
    const w = await watching(root)
    await rm(join(root, 'd'), { recursive: true })
    await mkdir(join(root, 'd'))
    await writeFile(join(root, 'd', 'first'), '1')
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert d/first')
    await writeFile(join(root, 'd', 'second'), '2')
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert d/second')
    w.sub.unsubscribe()
  })

  // QA 12 #3: reported as an upsert only, the old contents stayed in the mirror until the next rescan.
  it('reports a directory renamed away and made again at once as removed, then made', async () => {
    const root = await tempDir('watch')
    await mkdir(join(root, 'logs', 'sub'), { recursive: true })
    await writeFile(join(root, 'logs', 'sub', 'f1'), '1')
    const w = await watching(root)
    await rename(join(root, 'logs'), join(root, 'logs.old'))
    await mkdir(join(root, 'logs'))
    await writeFile(join(root, 'logs', 'n'), 'n')
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert logs/n')
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('remove logs')
    const removed = w.seen.indexOf('remove logs')
    expect(w.seen.slice(removed)).toContain('upsert logs')
    w.sub.unsubscribe()
  })

  it('follows a symlinked directory under the follow policy, once even in a loop', async () => {
    const root = await tempDir('watch')
    const outside = await tempDir('watch-outside')
    await symlink(outside, join(root, 'link'))
    await symlink(root, join(outside, 'back'))
    const w = await watching(root, true)
    await writeFile(join(outside, 'seen.txt'), 'x')
    await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert link/seen.txt')
    w.sub.unsubscribe()
  })

  // QA 10 #4: the link's copy kept the old content until the next rescan (one outside the root, forever).
  it.skipIf(process.platform !== 'linux')(
    'under the follow policy, a write to the file a symlink points to (inside the root or outside) is a change of the link',
    async () => {
      const root = await tempDir('watch')
      const outside = await tempDir('watch-outside')
      await writeFile(join(root, 'real.txt'), 'v1')
      await writeFile(join(outside, 'far.txt'), 'v1')
      await symlink('real.txt', join(root, 'latest.txt'))
      await symlink(join(outside, 'far.txt'), join(root, 'far-link.txt'))
      const w = await watching(root, true)
      await writeFile(join(root, 'real.txt'), 'v2-longer')
      await writeFile(join(outside, 'far.txt'), 'v2-longer')
      await expect
        .poll(() => w.seen, { timeout: 10_000 })
        .toEqual(expect.arrayContaining(['upsert real.txt', 'upsert latest.txt', 'upsert far-link.txt']))

      // Replaced by a rename over it (an editor's save): the new file is watched through the link.
      w.seen.length = 0
      await writeFile(join(outside, 'far.tmp'), 'v3')
      await rename(join(outside, 'far.tmp'), join(outside, 'far.txt'))
      await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert far-link.txt')
      w.seen.length = 0
      await appendFile(join(outside, 'far.txt'), '+')
      await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert far-link.txt')

      // Re-pointed: the file it points to now is the one watched.
      await writeFile(join(root, 'other.txt'), 'o')
      await rm(join(root, 'latest.txt'))
      await symlink('other.txt', join(root, 'latest.txt'))
      await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert latest.txt')
      w.seen.length = 0
      await appendFile(join(root, 'other.txt'), '+')
      await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert latest.txt')
      w.sub.unsubscribe()
    },
  )

  // QA 11 #1: once the file was gone (removed, or renamed away by a log rotation), its return was never heard.
  it.skipIf(process.platform !== 'linux')(
    "under the follow policy, a link's file that comes back is a change of the link, and is watched again",
    async () => {
      const root = await tempDir('watch')
      const outside = await tempDir('watch-outside')
      const far = join(outside, 'far.txt')
      await writeFile(far, 'v1')
      await writeFile(join(outside, 'other.txt'), 'o')
      await symlink(far, join(root, 'a-link'))
      await symlink(far, join(root, 'b-link'))
      const w = await watching(root, true)

      await rm(far)
      await expect
        .poll(() => w.seen, { timeout: 10_000 })
        .toEqual(expect.arrayContaining(['upsert a-link', 'upsert b-link']))
      w.seen.length = 0
      await writeFile(far, 'v2')
      await expect
        .poll(() => w.seen, { timeout: 10_000 })
        .toEqual(expect.arrayContaining(['upsert a-link', 'upsert b-link']))
      w.seen.length = 0
      await appendFile(far, '+')
      await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert a-link')

      // Rotated: renamed away, a new file made under the name, then written.
      w.seen.length = 0
      await rename(far, join(outside, 'far.txt.1'))
      await writeFile(far, 'v3')
      await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert a-link')
      w.seen.length = 0
      await appendFile(far, '+')
      await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert a-link')
      // Other names in that directory are not the links' business.
      w.seen.length = 0
      await writeFile(join(outside, 'unrelated.txt'), 'u')
      await rm(join(outside, 'other.txt'))
      await appendFile(far, '+')
      await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert b-link')
      expect(w.seen.every((c) => c === 'upsert a-link' || c === 'upsert b-link')).toBe(true)
      w.sub.unsubscribe()
    },
  )

  it.skipIf(process.platform !== 'linux')(
    "under the follow policy, links' files are watched with one watch per directory, released with the last link",
    async () => {
      const root = await tempDir('watch')
      const outside = await tempDir('watch-outside')
      for (const n of [1, 2, 3]) {
        await writeFile(join(outside, `f${n}`), 'x')
        await symlink(join(outside, `f${n}`), join(root, `l${n}`))
      }
      // Two links to one file, one dangling.
      await symlink(join(outside, 'f1'), join(root, 'l1-again'))
      await symlink(join(outside, 'gone'), join(root, 'dangling'))
      const before = inotifyWatches()
      const w = await watching(root, true)
      // The root, its parent (for the root's name: `watchRootPath`), the three files, and their
      // directory once (l1-again shares f1; the dangling link, their directory).
      expect(inotifyWatches() - before).toBe(6)
      for (const name of ['l1', 'l1-again', 'dangling']) await rm(join(root, name))
      await expect.poll(() => inotifyWatches() - before, { timeout: 10_000 }).toBe(5)
      // Their directory itself removed: the links are changes, and its (dead) watch is dropped.
      await rm(outside, { recursive: true })
      await expect.poll(() => w.seen, { timeout: 10_000 }).toEqual(expect.arrayContaining(['upsert l2', 'upsert l3']))
      await expect.poll(() => inotifyWatches() - before, { timeout: 10_000 }).toBe(2)
      // Made again, it is watched once the links' directory is read again (a change there).
      await mkdir(outside)
      // A directory made: one event, and its upsert comes from that reading (links watched by then).
      await mkdir(join(root, 'poke'))
      await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert poke')
      // The root, its parent, poke, and the links' directory again (its watch is set up once read:
      // on a loaded machine after the upsert, and a file written before then went unseen).
      await expect.poll(() => inotifyWatches() - before, { timeout: 10_000 }).toBe(4)
      w.seen.length = 0
      await writeFile(join(outside, 'f2'), 'back')
      await expect.poll(() => w.seen, { timeout: 10_000 }).toContain('upsert l2')
      w.sub.unsubscribe()
      expect(inotifyWatches()).toBe(before)
    },
  )

  it.skipIf(process.platform !== 'linux')('ends with an error when the root itself goes away', async () => {
    const parent = await tempDir('watch')
    const root = join(parent, 'root')
    await mkdir(root)
    const w = await watching(root)
    await rm(root, { recursive: true })
    await expect.poll(() => w.failed(), { timeout: 10_000 }).toMatchObject({ code: 'NOT_FOUND' })
  })
})
