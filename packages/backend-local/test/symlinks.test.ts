import { lstat, lutimes, mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { createPathFilter, type SyncError, type SyncOptions, sync } from '@syncflow/core'
import { listAll, listKeys, readText, rejectionOf, writeText } from '@syncflow/core/testkit'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createLocalBackend, type SymlinkPolicy } from '../src/index.js'
import { codeOf, p, tempDir } from './helpers.js'

/** root/ with a file, a dir, a relative file link, a dir link, a dangling link and an outside link. */
async function tree(): Promise<{ root: string; outside: string }> {
  const root = await tempDir('links')
  const outside = await tempDir('outside')
  await writeFile(join(outside, 'secret.txt'), 'outside data')
  await mkdir(join(root, 'dir'))
  await writeFile(join(root, 'dir', 'file.txt'), 'in dir')
  await writeFile(join(root, 'top.txt'), 'top')
  await symlink('top.txt', join(root, 'file-link'))
  await symlink('dir', join(root, 'dir-link'))
  await symlink('missing', join(root, 'dangling'))
  await symlink(outside, join(root, 'out-link'))
  return { root, outside }
}

const open = (root: string, symlinks?: SymlinkPolicy) =>
  createLocalBackend({ root, ...(symlinks !== undefined ? { symlinks } : {}) })

describe('symlink policies', () => {
  it('preserve (the default, like rsync -a) lists symlinks as symlinks with their targets, never entering them', async () => {
    const { root, outside } = await tree()
    const b = open(root)
    expect(b.symlinkPolicy).toBe('preserve')
    expect(b.capabilities.symlinks).toBe(true)
    const entries = await listAll(b)
    expect(entries.map((e) => [e.path, e.kind, e.linkTarget])).toEqual([
      ['dangling', 'symlink', 'missing'],
      // '-' sorts before '/', so "dir-link" comes before the directory "dir" (key "dir/").
      ['dir-link', 'symlink', 'dir'],
      ['dir', 'dir', undefined],
      ['dir/file.txt', 'file', undefined],
      ['file-link', 'symlink', 'top.txt'],
      ['out-link', 'symlink', outside],
      ['top.txt', 'file', undefined],
    ])
    expect(await b.stat(p('file-link'))).toMatchObject({ kind: 'symlink', linkTarget: 'top.txt' })
    expect(codeOf(await rejectionOf(b.read(p('file-link'))))).toBe('CONFLICT')
    // A path through a symlinked directory is not part of the tree.
    expect(await b.stat(p('out-link/secret.txt'))).toBeUndefined()
    expect(codeOf(await rejectionOf(b.read(p('out-link/secret.txt'))))).toBe('INVALID_PATH')
  })

  it('follow (like rsync -L) lists what links point to, and reports dangling links', async () => {
    const { root } = await tree()
    const b = open(root, 'follow')
    expect(b.capabilities.symlinks).toBe(false)
    const errors: SyncError[] = []
    const entries = await listAll(b, { onError: (e) => errors.push(e) })
    expect(entries.map((e) => [e.path, e.kind])).toEqual([
      ['dir-link', 'dir'],
      ['dir-link/file.txt', 'file'],
      ['dir', 'dir'],
      ['dir/file.txt', 'file'],
      ['file-link', 'file'],
      ['out-link', 'dir'],
      ['out-link/secret.txt', 'file'],
      ['top.txt', 'file'],
    ])
    expect(errors.map((e) => [e.code, e.path])).toEqual([['NOT_FOUND', 'dangling']])
    expect(await readText(b, 'file-link')).toBe('top')
    expect(await readText(b, 'out-link/secret.txt')).toBe('outside data')
  })

  // QA 11 #1: stat said "absent", and a watch cycle deleted the target's copy of the link.
  it('follow: stat of a dangling link is the error the listing reports, not an absent path', async () => {
    const { root } = await tree()
    const b = open(root, 'follow')
    const err = await rejectionOf(b.stat(p('dangling')))
    expect(err).toMatchObject({ code: 'NOT_FOUND', path: 'dangling', op: 'local.stat' })
    expect((err as SyncError).message).toMatch(/dangling symlink/)
    // Through a file (ENOTDIR) it is dangling too; a path with nothing there is absent.
    await symlink('top.txt/below', join(root, 'through-file'))
    expect(await rejectionOf(b.stat(p('through-file')))).toMatchObject({ code: 'NOT_FOUND', path: 'through-file' })
    expect(await b.stat(p('nothing-here'))).toBeUndefined()
    // Its file back, the link is that file again.
    await writeFile(join(root, 'missing'), 'back')
    expect(await b.stat(p('dangling'))).toMatchObject({ kind: 'file', size: 4 })
  })

  it('follow reports a symlink loop instead of walking forever', async () => {
    const root = await tempDir('loop')
    await mkdir(join(root, 'a'))
    await writeFile(join(root, 'a', 'f'), 'f')
    await symlink('..', join(root, 'a', 'up'))
    const errors: SyncError[] = []
    const keys = await listKeys(open(root, 'follow'), { onError: (e) => errors.push(e) })
    // Not listed at all (a target would make an empty directory of it), only reported.
    expect(keys).toEqual(['a/', 'a/f'])
    expect(errors.map((e) => [e.code, e.path])).toEqual([['INVALID_PATH', 'a/up']])
  })

  // QA 29e: stat (what a watch cycle asks of a changed path) took `a/up -> ..` for a directory, and
  // the cycle made an empty copy of it on the target, which the listing never lists.
  it('follow: a stat of a looping directory link, or of a path below one, reports the loop as the listing does', async () => {
    const root = await tempDir('loop-stat')
    await mkdir(join(root, 'a'))
    await writeFile(join(root, 'a', 'f'), 'f')
    await symlink('..', join(root, 'a', 'up'))
    await symlink('.', join(root, 'self'))
    const b = open(root, 'follow')
    for (const path of ['a/up', 'self', 'self/a', 'a/up/a/f']) {
      expect(await rejectionOf(b.stat(p(path)))).toMatchObject({
        code: 'INVALID_PATH',
        message: `INVALID_PATH: local.stat (${path}): symlink loop: this directory contains itself; not entered`,
      })
    }
    expect(await b.stat(p('a/f'))).toMatchObject({ kind: 'file' })
    expect(await b.stat(p('a'))).toMatchObject({ kind: 'dir' })
  })

  it('follow reports links that lead back to each other as a symlink loop, not as a bad file name (QA 10 #10)', async () => {
    const root = await tempDir('link-loop')
    await mkdir(join(root, 'lp'))
    await symlink('l2', join(root, 'lp', 'l1'))
    await symlink('l1', join(root, 'lp', 'l2'))
    await symlink('self', join(root, 'self'))
    await writeFile(join(root, 'lp', 'a'), 'a')
    const errors: SyncError[] = []
    const keys = await listKeys(open(root, 'follow'), { onError: (e) => errors.push(e) })
    expect(keys).toEqual(['lp/', 'lp/a'])
    expect(errors.map((e) => [e.code, e.path, e.message, e.hint])).toEqual([
      [
        'INVALID_PATH',
        'self',
        'INVALID_PATH: local.list (self): symlink loop: self -> self never reaches a file or directory; skipped',
        'Remove the loop, or use --symlinks preserve.',
      ],
      [
        'INVALID_PATH',
        'lp/l1',
        'INVALID_PATH: local.list (lp/l1): symlink loop: lp/l1 -> l2 -> l1 never reaches a file or directory; skipped',
        'Remove the loop, or use --symlinks preserve.',
      ],
      [
        'INVALID_PATH',
        'lp/l2',
        'INVALID_PATH: local.list (lp/l2): symlink loop: lp/l2 -> l1 -> l2 never reaches a file or directory; skipped',
        'Remove the loop, or use --symlinks preserve.',
      ],
    ])
  })

  it('follow tells a long loop from a chain of more links than the system follows, naming the first links', async () => {
    const root = await tempDir('link-chain')
    await mkdir(join(root, 'chain'))
    await mkdir(join(root, 'ring'))
    // chain/c0 -> c1 -> … -> c44 -> file: 45 links, more than Linux follows (40).
    await writeFile(join(root, 'chain', 'file'), 'x')
    for (let i = 0; i < 45; i++) await symlink(i === 44 ? 'file' : `c${i + 1}`, join(root, 'chain', `c${i}`))
    // ring/r0 -> r1 -> … -> r11 -> r0: a loop longer than the links shown.
    for (let i = 0; i < 12; i++) await symlink(`r${(i + 1) % 12}`, join(root, 'ring', `r${i}`))
    const errors: SyncError[] = []
    await listKeys(open(root, 'follow'), { onError: (e) => errors.push(e) })
    const byPath = new Map(errors.map((e) => [e.path, e]))
    expect(byPath.get('chain/c0')).toMatchObject({
      code: 'INVALID_PATH',
      message:
        'INVALID_PATH: local.list (chain/c0): symlink chain too long: chain/c0 -> c1 -> c2 -> c3 -> c4 -> c5 -> c6 -> c7 -> c8 -> … goes through more links than this system follows; skipped',
      hint: 'Shorten the chain of links, or use --symlinks preserve.',
    })
    // Those within the system's limit are followed to the file.
    expect(byPath.has('chain/c10')).toBe(false)
    expect(byPath.get('ring/r3')).toMatchObject({
      code: 'INVALID_PATH',
      message:
        'INVALID_PATH: local.list (ring/r3): symlink loop: ring/r3 -> r4 -> r5 -> r6 -> r7 -> r8 -> r9 -> r10 -> r11 -> … never reaches a file or directory; skipped',
      hint: 'Remove the loop, or use --symlinks preserve.',
    })
    expect([...byPath.keys()].filter((k) => k?.startsWith('ring/')).length).toBe(12)
  })

  it('follow does not report a looping symlink the filters exclude (pruned: never entered)', async () => {
    const root = await tempDir('loop-excluded')
    await mkdir(join(root, 'a'))
    await symlink('..', join(root, 'a', 'up'))
    const errors: SyncError[] = []
    const keys = await listKeys(open(root, 'follow'), { onError: (e) => errors.push(e), prune: (d) => d === 'a/up' })
    expect(keys).toEqual(['a/', 'a/up/'])
    expect(errors).toEqual([])
  })

  it('skip leaves symlinks out entirely', async () => {
    const { root } = await tree()
    const b = open(root, 'skip')
    expect(await listKeys(b)).toEqual(['dir/', 'dir/file.txt', 'top.txt'])
    expect(await b.stat(p('file-link'))).toBeUndefined()
  })

  it('an unknown policy is a USAGE error', () => {
    expect(() => createLocalBackend({ root: '.', symlinks: 'sometimes' as SymlinkPolicy })).toThrow(/symlink policy/)
  })
})

describe('a symlink never lets a write escape the root', () => {
  // The target holds `link -> <outside dir>` (think `link -> /etc`) and the source lists `link/passwd`.
  for (const policy of ['preserve', 'follow', 'skip'] as const) {
    it(`write, mkdir, remove, move, copy, copyFrom and symlink through it are refused (policy ${policy})`, async () => {
      const root = await tempDir('escape')
      const outside = await tempDir('etc')
      await writeFile(join(outside, 'passwd'), 'root:x:0:0')
      await symlink(outside, join(root, 'link'))
      await writeFile(join(root, 'ok.txt'), 'ok')
      const b = open(root, policy)
      const attempts: [string, () => Promise<unknown>][] = [
        ['write', () => writeText(b, 'link/passwd', 'pwned')],
        ['write deep', () => writeText(b, 'link/new/deeper.txt', 'pwned')],
        ['mkdir', () => b.mkdir(p('link/sub'))],
        ['remove', () => b.remove(p('link/passwd'))],
        ['move', () => b.move(p('ok.txt'), p('link/moved'))],
        ['copy', () => b.copy(p('ok.txt'), p('link/copied'))],
        ['copyFrom', () => b.copyFrom(b, p('ok.txt'), p('link/copied'), { mtimeMs: 1 })],
        ['symlink', () => b.symlink(p('link/evil'), '/')],
        ['setMtime', () => b.setMtime(p('link/passwd'), 1)],
      ]
      for (const [name, attempt] of attempts) {
        expect(codeOf(await rejectionOf(attempt())), name).toBe('INVALID_PATH')
      }
      expect(await readdir(outside)).toEqual(['passwd'])
      expect(await readFile(join(outside, 'passwd'), 'utf8')).toBe('root:x:0:0')
      expect(await readFile(join(root, 'ok.txt'), 'utf8')).toBe('ok')
    })
  }

  it('a directory swapped for a symlink after this backend wrote into it is caught (its verification is not trusted blindly)', async () => {
    const root = await tempDir('swap')
    const outside = await tempDir('swap-outside')
    const b = open(root)
    await writeText(b, 'a/b/first.txt', 'in')
    await writeText(b, 'a/b/second.txt', 'in') // a/b is now a verified parent
    // Someone else moves the verified directory away and puts symlinks in the chain.
    await rename(join(root, 'a'), join(root, 'moved'))
    await mkdir(join(outside, 'b'))
    await symlink(outside, join(root, 'a'))
    expect(codeOf(await rejectionOf(writeText(b, 'a/b/third.txt', 'pwned')))).toBe('INVALID_PATH')
    await rm(join(root, 'a'))
    await mkdir(join(root, 'a'))
    await symlink(join(root, 'moved', 'b'), join(root, 'a', 'b'))
    expect(codeOf(await rejectionOf(writeText(b, 'a/b/third.txt', 'pwned')))).toBe('INVALID_PATH')
    await rm(join(root, 'a', 'b'))
    await writeFile(join(root, 'a', 'b'), 'a file now')
    expect(codeOf(await rejectionOf(writeText(b, 'a/b/third.txt', 'x')))).toBe('CONFLICT')
    expect(await readdir(join(outside, 'b'))).toEqual([])
    expect((await readdir(join(root, 'moved', 'b'))).sort()).toEqual(['first.txt', 'second.txt'])
  })

  it('writing over a symlink replaces the link itself, not the file it points to', async () => {
    const root = await tempDir('replace')
    const outside = await tempDir('target')
    await writeFile(join(outside, 'victim.txt'), 'untouched')
    await symlink(join(outside, 'victim.txt'), join(root, 'link'))
    const b = open(root)
    await writeText(b, 'link', 'new file')
    expect((await lstat(join(root, 'link'))).isFile()).toBe(true)
    expect(await readFile(join(outside, 'victim.txt'), 'utf8')).toBe('untouched')
    await b.symlink(p('link2'), join(outside, 'victim.txt'))
    await writeText(b, 'link2', 'again', {}, { expect: (await b.stat(p('link2')))! })
    expect(await readFile(join(outside, 'victim.txt'), 'utf8')).toBe('untouched')
  })

  it('hostile paths create nothing next to the root either', async () => {
    const parent = await tempDir('parent')
    const root = join(parent, 'root')
    const b = open(root)
    for (const hostile of ['../escaped.txt', '../../escaped.txt', '/tmp/escaped-abs.txt', 'a/../../escaped.txt']) {
      expect(codeOf(await rejectionOf(b.write(p(hostile), Readable.from(['x']), { mtimeMs: 1 })))).toBe('INVALID_PATH')
      expect(codeOf(await rejectionOf(b.mkdir(p(hostile))))).toBe('INVALID_PATH')
    }
    expect(await readdir(parent)).toEqual([])
  })

  it('symlink stores its target verbatim (an absolute or escaping target is data, not followed)', async () => {
    const root = await tempDir('verbatim')
    const b = open(root)
    await b.symlink(p('abs'), '/etc/passwd')
    await b.symlink(p('up'), '../../x')
    expect(await readlink(join(root, 'abs'))).toBe('/etc/passwd')
    expect(await readlink(join(root, 'up'))).toBe('../../x')
    expect(codeOf(await rejectionOf(b.symlink(p('bad'), '')))).toBe('INVALID_PATH')
  })
})

// rsync -a --delete replaces such a symlink by the directory. The copy below it is refused while
// the symlink is there (never written through), and the delete of the symlink waits for every
// transfer: the refusal waits for the delete instead, then the copy runs (before, the refusal
// blocked the delete on every run, for ever).
describe('a symlink in the target where the source has a directory', () => {
  it('is replaced by the directory, nothing is written through it, and a re-run has nothing to do', async () => {
    const src = await tempDir('dir-over-link-src')
    const dst = await tempDir('dir-over-link-dst')
    const outside = await tempDir('dir-over-link-outside')
    await mkdir(join(src, 'dir'))
    await writeFile(join(src, 'dir', 'f'), 'NEW')
    await symlink(outside, join(dst, 'dir'))
    const run = () =>
      lastValueFrom(
        sync(createLocalBackend({ root: src }), createLocalBackend({ root: dst }), { mode: 'mirror' }).pipe(toArray()),
      )
    const events = await run()
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    expect((await lstat(join(dst, 'dir'))).isDirectory()).toBe(true)
    expect(await readFile(join(dst, 'dir', 'f'), 'utf8')).toBe('NEW')
    expect(await readdir(outside)).toEqual([])
    const again = (await run()).at(-1)
    expect(again).toMatchObject({ type: 'done', summary: { failed: 0, unchanged: 1 } })
  })
})

// rsync -a keeps a symlink's own mtime (lutimes), not the time the copy made it.
describe('a copied symlink', () => {
  it('keeps its own mtime, and its target is not touched', async () => {
    const src = await tempDir('link-mtime-src')
    const dst = await tempDir('link-mtime-dst')
    await writeFile(join(src, 'target.txt'), 't')
    await symlink('target.txt', join(src, 'link'))
    const T = new Date('2018-03-04T05:06:07Z')
    await lutimes(join(src, 'link'), T, T)
    const events = await lastValueFrom(
      sync(createLocalBackend({ root: src }), createLocalBackend({ root: dst }), { mode: 'mirror' }).pipe(toArray()),
    )
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    expect((await lstat(join(dst, 'link'))).mtimeMs).toBe(T.getTime())
    const kept = (await lstat(join(src, 'target.txt'))).mtimeMs
    expect(Math.abs((await lstat(join(dst, 'target.txt'))).mtimeMs - kept)).toBeLessThan(1) // not the link's
  })

  // QA 31c: a link whose own mtime alone changed (made again to the same target, `ln -sfn`) was
  // unchanged for ever, and check said "In sync"; rsync -a sets it (`.L..t...... link`).
  it('gets a new mtime of the source link, with and without --checksum; not under --size-only', async () => {
    const src = await tempDir('link-mtime2-src')
    const dst = await tempDir('link-mtime2-dst')
    await writeFile(join(src, 'target.txt'), 't')
    await symlink('target.txt', join(src, 'link'))
    const run = async (options: Partial<SyncOptions> = {}) => {
      const events = await lastValueFrom(
        sync(createLocalBackend({ root: src }), createLocalBackend({ root: dst }), {
          mode: 'mirror',
          ...options,
        }).pipe(toArray()),
      )
      expect(events.filter((e) => e.type === 'failed')).toEqual([])
      return events.flatMap((e) => (e.type === 'completed' ? [`${e.action.kind} ${e.action.path}`] : []))
    }
    await run()
    const dates = ['2018-03-04T05:06:07Z', '2019-03-04T05:06:07Z', '2020-03-04T05:06:07Z'].map((d) => new Date(d))
    for (const [i, options] of [{}, { compare: 'checksum' as const }, { dryRun: true }].entries()) {
      await lutimes(join(src, 'link'), dates[i]!, dates[i]!)
      expect(await run(options)).toEqual(['touch link'])
      if (!('dryRun' in options)) {
        expect((await lstat(join(dst, 'link'))).mtimeMs).toBe(dates[i]!.getTime())
        expect(await run(options)).toEqual([])
      }
    }
    expect(await run({ compare: 'size-only' })).toEqual([])
    expect(await run()).toEqual(['touch link'])
    expect((await lstat(join(dst, 'link'))).mtimeMs).toBe(dates[2]!.getTime())
    expect(await readlink(join(dst, 'link'))).toBe('target.txt')
  })
})

// QA F8: a directory taken part in only so that an --include can look inside it is created once
// something inside it is copied (rsync -m); a symlink the target cannot store is skipped, not
// copied, so it creates nothing either.
describe('--include and a symlink the target cannot store', () => {
  it('creates no directory for a skipped symlink', async () => {
    const src = await tempDir('include-link-src')
    const dst = await tempDir('include-link-dst')
    await mkdir(join(src, 'a', 'b'), { recursive: true })
    await symlink('/etc/passwd', join(src, 'a', 'b', 'link.md'))
    await mkdir(join(src, 'c'))
    await writeFile(join(src, 'c', 'x.md'), 'x')
    // The source lists symlinks (preserve, the default); the target cannot store them (skip).
    const events = await lastValueFrom(
      sync(createLocalBackend({ root: src }), createLocalBackend({ root: dst, symlinks: 'skip' }), {
        mode: 'copy',
        filter: createPathFilter({ include: ['*.md'] }),
      }).pipe(toArray()),
    )
    const planned = events.flatMap((e) => (e.type === 'planned' ? [`${e.action.kind} ${e.action.path}`] : []))
    expect(planned).toEqual(['skip a/b/link.md', 'mkdir c', 'copy c/x.md'])
    expect(await readdir(dst, { recursive: true })).toEqual(['c', 'c/x.md'])
    expect(events.at(-1)).toMatchObject({ type: 'done', summary: { failed: 0, done: { mkdir: 1, copy: 1 } } })
  })
})

// QA 14 #1: an excluded dangling link was still reported under follow: every run held its deletes.
describe('follow: an excluded dangling symlink', () => {
  it('is skipped without a report, so the mirror deletes what it should', async () => {
    const src = await tempDir('excluded-dangling-src')
    const dst = await tempDir('excluded-dangling-dst')
    await writeFile(join(src, 'a'), 'a')
    await mkdir(join(src, 'sub'))
    await symlink('/nonexistent', join(src, 'dangling'))
    await symlink('/nonexistent', join(src, 'sub', 'dl'))
    await writeFile(join(dst, 'stale'), 'stale')
    const events = await lastValueFrom(
      sync(open(src, 'follow'), open(dst), {
        mode: 'mirror',
        filter: createPathFilter({ exclude: ['dangling', 'dl'] }),
      }).pipe(toArray()),
    )
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    expect(events.at(-1)).toMatchObject({ type: 'done', summary: { failed: 0, listingErrors: 0, done: { delete: 1 } } })
    expect((await readdir(dst, { recursive: true })).sort()).toEqual(['a', 'sub'])
  })
})

// QA 9 #2: the copy of a file of 1 MiB or more checked its source with an lstat, which under
// `follow` saw the link (another inode): every such linked file "changed while it was read".
describe('follow: a linked file copied whole', () => {
  it.each([1024 * 1024 - 1, 1024 * 1024, 3_000_000])(
    "of %i bytes is copied, its content the target file's",
    async (size) => {
      const root = await tempDir('follow-big')
      const dst = await tempDir('follow-big-dst')
      const data = Buffer.alloc(size, 0x5a)
      await writeFile(join(root, 'f.bin'), data)
      await symlink('f.bin', join(root, 'link.bin'))
      const events = await lastValueFrom(sync(open(root, 'follow'), open(dst), { mode: 'mirror' }).pipe(toArray()))
      expect(events.filter((e) => e.type === 'failed')).toEqual([])
      expect((await readFile(join(dst, 'link.bin'))).equals(data)).toBe(true)
    },
  )
})

// QA 20 F1: under `skip` the links were simply not listed, so a mirror deleted what the target held
// at their paths (the copies a run under `follow` had made): rsync without -l keeps them.
describe('skip: a mirror keeps what the target has where the source has a skipped symlink', () => {
  it('a linked file and a linked directory, with everything below it; the rest is mirrored as usual', async () => {
    const { root } = await tree()
    const dst = await tempDir('skip-dst')
    await lastValueFrom(sync(open(root, 'follow'), open(dst), { mode: 'mirror' }).pipe(toArray()))
    // As a run under follow left it, plus one file the source never had.
    await writeFile(join(dst, 'stale'), 'stale')
    const before = (await readdir(dst, { recursive: true })).sort()
    expect(before).toEqual(expect.arrayContaining(['dir-link', 'dir-link/file.txt', 'file-link', 'stale']))
    const events = await lastValueFrom(sync(open(root, 'skip'), open(dst, 'skip'), { mode: 'mirror' }).pipe(toArray()))
    expect(events.filter((e) => e.type === 'failed' || e.type === 'notice')).toEqual([])
    expect(events.at(-1)).toMatchObject({ type: 'done', summary: { done: { delete: 1 } } })
    expect((await readdir(dst, { recursive: true })).sort()).toEqual(before.filter((f) => f !== 'stale'))
    expect(await readFile(join(dst, 'dir-link', 'file.txt'), 'utf8')).toBe('in dir')
  })
})

// Review 20 #1: a watch cycle stats the changed paths, and `stat` under `skip` said nothing of a
// link: the target's copy of a re-pointed link (a whole tree for a linked directory) was deleted.
describe('skip: a watch cycle over changed paths keeps what the target has at a skipped link', () => {
  it('the link re-pointed or touched: nothing of its copy is deleted; a file really gone still is', async () => {
    const { syncPaths } = await import('@syncflow/core/continuous')
    const { root } = await tree()
    const dst = await tempDir('skip-watch-dst')
    await lastValueFrom(sync(open(root, 'follow'), open(dst), { mode: 'mirror' }).pipe(toArray()))
    const before = (await readdir(dst, { recursive: true })).sort()
    expect(before).toEqual(expect.arrayContaining(['dir-link', 'dir-link/file.txt', 'file-link']))
    await rm(join(root, 'top.txt'))
    const events = await lastValueFrom(
      syncPaths(open(root, 'skip'), open(dst, 'skip'), [p('dir-link'), p('file-link'), p('top.txt')], {
        mode: 'mirror',
      }).pipe(toArray()),
    )
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    expect(events.filter((e) => e.type === 'completed').map((e) => e.type === 'completed' && e.action.path)).toEqual([
      'top.txt',
    ])
    expect((await readdir(dst, { recursive: true })).sort()).toEqual(before.filter((f) => f !== 'top.txt'))
  })
})

// QA 21 F3: under the default `preserve`, into a target that cannot store symlinks (S3), a link's
// copies made by a run under follow were deleted (a linked directory's tree), or failed the run (a
// linked file). The link is skipped, and what the target has there stays, as under `skip`.
describe('preserve into a target that cannot store symlinks', () => {
  it('keeps what the target has at each link and below; the rest is mirrored', async () => {
    const { root } = await tree()
    const dst = await tempDir('no-symlinks-dst')
    const noLinks = (b: ReturnType<typeof open>) =>
      new Proxy(b, {
        get(o, k) {
          if (k === 'capabilities') return { ...o.capabilities, symlinks: false }
          const v = Reflect.get(o, k, o) as unknown
          return typeof v === 'function' ? v.bind(o) : v
        },
      })
    await lastValueFrom(sync(open(root, 'follow'), noLinks(open(dst)), { mode: 'mirror' }).pipe(toArray()))
    await writeFile(join(dst, 'stale'), 'stale')
    const before = (await readdir(dst, { recursive: true })).sort()
    expect(before).toEqual(expect.arrayContaining(['dir-link', 'dir-link/file.txt', 'file-link']))
    const events = await lastValueFrom(sync(open(root), noLinks(open(dst)), { mode: 'mirror' }).pipe(toArray()))
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    expect(events.at(-1)).toMatchObject({ type: 'done', summary: { done: { delete: 1 } } })
    expect((await readdir(dst, { recursive: true })).sort()).toEqual(before.filter((f) => f !== 'stale'))
  })
})

// QA 21 F6: an excluded link's copy was kept under --delete-excluded, which deletes what is excluded (rsync too).
describe('skip and --delete-excluded', () => {
  it('deletes the copy of an excluded link, keeps the copy of one that is not excluded', async () => {
    const { root } = await tree()
    const dst = await tempDir('skip-excluded-dst')
    await lastValueFrom(sync(open(root, 'follow'), open(dst), { mode: 'mirror' }).pipe(toArray()))
    await lastValueFrom(
      sync(open(root, 'skip'), open(dst, 'skip'), {
        mode: 'mirror',
        filter: createPathFilter({ exclude: ['file-link'] }),
        deleteExcluded: true,
      }).pipe(toArray()),
    )
    const after = await readdir(dst, { recursive: true })
    expect(after).not.toContain('file-link')
    expect(after).toEqual(expect.arrayContaining(['dir-link', 'dir-link/file.txt']))
  })
})
