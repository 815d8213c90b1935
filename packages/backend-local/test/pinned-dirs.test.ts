import { fstatSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { canPinDirectories, PinnedDirs } from '../src/pinned-dirs.js'
import { tempDir } from './helpers.js'

/** True while `fd` is an open handle of this process. */
const isOpen = (fd: number): boolean => {
  try {
    fstatSync(fd)
    return true
  } catch {
    return false
  }
}

async function tree(): Promise<{ root: string; dirs: PinnedDirs }> {
  const root = await tempDir('pinned')
  for (const d of ['a', 'a/b', 'c', 'e']) mkdirSync(join(root, d))
  return {
    root,
    dirs: new PinnedDirs(
      (rel) => join(root, rel),
      () => root,
      2,
    ),
  }
}

describe.runIf(canPinDirectories())('PinnedDirs', () => {
  it('calls through a pin land in the directory pinned, even once its name leads elsewhere', async () => {
    const { root, dirs } = await tree()
    const pin = dirs.pin('a/b')
    renameSync(join(root, 'a'), join(root, 'moved'))
    symlinkSync(join(root, 'c'), join(root, 'a'))
    writeFileSync(`${pin.at}/x`, 'x')
    pin.release()
    expect(readdirSync(join(root, 'moved', 'b'))).toEqual(['x'])
    expect(readdirSync(join(root, 'c'))).toEqual([])
    // Asked again, it is opened again from its name: through a symlink now, refused.
    expect(() => dirs.pin('a/b')).toThrow(expect.objectContaining({ code: 'ENOTDIR' }))
    dirs.closeAll()
  })

  it('opens again a directory removed and made again', async () => {
    const { root, dirs } = await tree()
    const first = dirs.pin('c')
    first.release()
    rmSync(join(root, 'c'), { recursive: true })
    mkdirSync(join(root, 'c'))
    const second = dirs.pin('c')
    writeFileSync(`${second.at}/y`, 'y')
    second.release()
    expect(readdirSync(join(root, 'c'))).toEqual(['y'])
    dirs.closeAll()
  })

  it('closes the least recently used idle handles beyond its capacity, never one in use', async () => {
    const { dirs } = await tree()
    const held = dirs.pin('c') // in use throughout
    const idle = dirs.pin('e')
    idle.release()
    const other = dirs.pin('a/b') // (pins '' and 'a' on its way)
    other.release()
    expect(dirs.size).toBe(2)
    expect(isOpen(held.fd)).toBe(true)
    writeFileSync(`${held.at}/z`, 'z')
    held.release()
    expect(isOpen(held.fd)).toBe(false)
    dirs.closeAll()
    expect(dirs.size).toBe(0)
  })

  it('forgets a directory and everything below it, and names it by its path in errors', async () => {
    const { root, dirs } = await tree()
    const pin = dirs.pin('a/b')
    pin.release()
    dirs.forget('a')
    expect(isOpen(pin.fd)).toBe(false)
    const again = dirs.pin('a/b')
    let message = ''
    try {
      readdirSync(`${again.at}/missing`)
    } catch (err) {
      message = (again.named(err) as Error).message
    }
    again.release()
    expect(message).toBe(`ENOENT: no such file or directory, scandir '${join(root, 'a', 'b')}/missing'`)
    dirs.closeAll()
  })

  // Review 23 F4: `syncflow serve` has a backend, so a PinnedDirs, per client root; with a bound of
  // 16 each, four clients' took every handle of a server under `ulimit -n 64`.
  it('keeps at most 16 handles cached across every instance of the process, not 16 each', async () => {
    const roots = await Promise.all([1, 2, 3, 4].map(() => tempDir('pinned-many')))
    const all = roots.map(
      (root) =>
        new PinnedDirs(
          (rel) => join(root, rel),
          () => root,
        ),
    )
    for (const [i, root] of roots.entries()) {
      for (let d = 0; d < 10; d++) {
        mkdirSync(join(root, `d${d}`))
        const pin = all[i]!.pin(`d${d}`)
        pin.release()
      }
    }
    expect(all.reduce((n, dirs) => n + dirs.size, 0)).toBe(16)
    // The most recently used stay: the last instance's.
    expect(all[3]!.size).toBe(11) // its root and its ten directories
    for (const dirs of all) dirs.closeAll()
  })
})
