import { execFileSync } from 'node:child_process'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type SyncEvent, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { tempDir } from './helpers.js'

/** Mounts a tmpfs at `dir` (another file system); false where this process may not mount. */
function mountTmpfs(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' })
  } catch {
    return false
  }
  return true
}

// rsync -x / rclone --one-file-system: a backup of / must not descend into /proc, /sys or a mounted disk.
describe('oneFileSystem', () => {
  it('lists a mount point below the root without entering it, says so, and a mirror keeps the target copy', async (t) => {
    const base = await tempDir('one-fs')
    const src = join(base, 'src')
    const dst = join(base, 'dst')
    await mkdir(join(src, 'mnt'), { recursive: true })
    await mkdir(join(dst, 'mnt'), { recursive: true })
    await writeFile(join(src, 'a'), 'a')
    await writeFile(join(dst, 'mnt', 'kept'), 'target copy')
    if (!mountTmpfs(join(src, 'mnt'))) return t.skip('cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)')
    // (Unmounted here, not in a hook: the temp directories are removed by an afterEach, which runs first.)
    try {
      await checkMountPoint(src, dst)
    } finally {
      execFileSync('umount', [join(src, 'mnt')])
    }
  })
})

/** A listing, and a mirror's run, of `src` with `src/mnt` mounted apart. */
async function checkMountPoint(src: string, dst: string): Promise<void> {
  await writeFile(join(src, 'mnt', 'inside'), 'on the other file system')

  const notices: string[] = []
  const paths: string[] = []
  const backend = createLocalBackend({ root: src, oneFileSystem: true })
  for await (const e of backend.list({ onNotice: (n) => void notices.push(`${n.code} ${n.path}`) })) paths.push(e.path)
  expect(paths).toEqual(['a', 'mnt'])
  expect(notices).toEqual(['OTHER_FILESYSTEM mnt'])
  // Without the option the walk crosses it.
  const all: string[] = []
  for await (const e of createLocalBackend({ root: src }).list()) all.push(e.path)
  expect(all).toEqual(['a', 'mnt', 'mnt/inside'])

  const events = await lastValueFrom(
    sync(backend, createLocalBackend({ root: dst }), { mode: 'mirror' }).pipe(toArray<SyncEvent>()),
  )
  expect(events.filter((e) => e.type === 'failed')).toEqual([])
  expect(events.at(-1)).toMatchObject({ summary: { done: { copy: 1, delete: 0 } } })
  expect(events.some((e) => e.type === 'notice' && e.code === 'OTHER_FILESYSTEM' && e.path === 'mnt')).toBe(true)
  expect((await readdir(join(dst, 'mnt'))).sort()).toEqual(['kept'])
}
