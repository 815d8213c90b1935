import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Change, SyncError } from '@syncflow/core'
import { listAll, rejectionOf } from '@syncflow/core/testkit'
import { describe, expect, it } from 'vitest'
import { createLocalBackend, directoryChain } from '../src/index.js'
import { p, tempDir } from './helpers.js'

/**
 * base/src (the source) and base/dst (the target, with a file and a subdirectory), and in the
 * source a link to the target, one into it, one to a directory holding it and one to a file in it.
 */
async function tree(): Promise<{ src: string; dst: string }> {
  const base = await tempDir('fence')
  const src = join(base, 'src')
  const dst = join(base, 'dst')
  await mkdir(join(dst, 'sub'), { recursive: true })
  await mkdir(src)
  await writeFile(join(dst, 'sub', 'old'), 'target data')
  await writeFile(join(dst, 'f'), 'target file')
  await writeFile(join(src, 'a'), 'source data')
  await symlink('../dst', join(src, 'to-target'))
  await symlink('../dst/sub', join(src, 'into'))
  await symlink('../dst/f', join(src, 'file-in'))
  await mkdir(join(base, 'other'))
  await writeFile(join(base, 'other', 'o'), 'beside the target')
  await symlink('..', join(src, 'up'))
  return { src, dst }
}

const leads = (errors: SyncError[]) =>
  errors.filter((e) => /leads into the target/.test(e.message)).map((e) => [e.code, e.path])

// QA 12 #2: followed, a link to the target made it part of the source: each sync nested one more
// copy of the target in itself, and a watch heard its own writes and looped until the disk was full.
describe('follow with the target fenced off', () => {
  for (const how of ['path', 'id'] as const) {
    it(`lists nothing of the target through a link to it, into it or to a directory holding it (fenced by ${how})`, async () => {
      const { src, dst } = await tree()
      const chain = await directoryChain(dst)
      const b = createLocalBackend({
        root: src,
        symlinks: 'follow',
        fenceOff: [how === 'path' ? { path: dst } : { id: chain.ids[0]! }],
      })
      const errors: SyncError[] = []
      const listed = (await listAll(b, { onError: (e) => errors.push(e) })).map((e) => e.path)
      expect(listed).toEqual(['a', 'up', 'up/other', 'up/other/o'])
      expect(leads(errors)).toEqual([
        ['INVALID_PATH', 'file-in'],
        ['INVALID_PATH', 'into'],
        ['INVALID_PATH', 'to-target'],
        ['INVALID_PATH', 'up/dst'],
      ])
      // A watch cycle stats what it heard of: the same error, never an entry.
      for (const path of ['to-target', 'to-target/sub/old', 'into', 'file-in', 'up/dst', 'up/dst/f']) {
        expect(await rejectionOf(b.stat(p(path)))).toMatchObject({ code: 'INVALID_PATH', op: 'local.stat', path })
      }
      expect(await b.stat(p('up/other/o'))).toMatchObject({ kind: 'file' })
      expect(await b.stat(p('a'))).toMatchObject({ kind: 'file' })
    })
  }

  it('fences a target made after the backend was opened, and not what the filters exclude', async () => {
    const base = await tempDir('fence')
    const src = join(base, 'src')
    const dst = join(base, 'dst')
    await mkdir(src)
    await symlink('..', join(src, 'up'))
    const b = createLocalBackend({ root: src, symlinks: 'follow', fenceOff: [{ path: dst }] })
    await mkdir(dst)
    await writeFile(join(dst, 'copied'), 'x')
    await symlink('../dst/copied', join(src, 'excluded-link'))
    const errors: SyncError[] = []
    const listed = await listAll(b, {
      onError: (e) => errors.push(e),
      prune: (dir) => dir === 'up/src',
      excluded: (name) => name === 'excluded-link',
    })
    expect(listed.map((e) => e.path)).not.toContain('up/dst/copied')
    expect(leads(errors)).toEqual([['INVALID_PATH', 'up/dst']])
  })

  it('is not applied under preserve, nor for an identity of another machine', async () => {
    const { src, dst } = await tree()
    const preserved = createLocalBackend({ root: src, fenceOff: [{ path: dst }] })
    expect((await listAll(preserved)).map((e) => e.path)).toContain('to-target')
    const chain = await directoryChain(dst)
    const elsewhere = createLocalBackend({
      root: src,
      symlinks: 'follow',
      fenceOff: [{ id: `another-machine:${chain.ids[0]!.split(':').slice(-2).join(':')}` }],
    })
    const listed = (await listAll(elsewhere, { onError: () => {} })).map((e) => e.path)
    expect(listed).toContain('to-target/sub/old')
  })

  it.skipIf(process.platform !== 'linux')(
    'watch hears nothing written into the target through a link (a cycle would copy it one level deeper)',
    async () => {
      const { src, dst } = await tree()
      const b = createLocalBackend({ root: src, symlinks: 'follow', fenceOff: [{ path: dst }] })
      const seen: string[] = []
      let ready: () => void = () => {}
      const isReady = new Promise<void>((resolve) => {
        ready = resolve
      })
      const sub = b.watch({ onReady: () => ready() }).subscribe((c: Change) => seen.push(c.path))
      await isReady
      // What a cycle writes into the target (a file, a directory, the linked file rewritten)…
      await writeFile(join(dst, 'new'), 'written by a cycle')
      await mkdir(join(dst, 'to-target'))
      await writeFile(join(dst, 'sub', 'old'), 'rewritten')
      await writeFile(join(dst, 'f'), 'rewritten')
      // …then a source change, heard after them (one inotify queue, in order).
      await writeFile(join(src, 'a'), 'changed')
      await expect.poll(() => seen, { timeout: 10_000 }).toContain('a')
      // A link made into the target is still heard itself: its stat reports it.
      await symlink('../dst/new', join(src, 'late'))
      await expect.poll(() => seen, { timeout: 10_000 }).toContain('late')
      sub.unsubscribe()
      expect(seen.filter((path) => /^(to-target|into|file-in|up\/dst)(\/|$)/.test(path))).toEqual([])
    },
  )
})
