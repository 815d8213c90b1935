import { randomBytes } from 'node:crypto'
import { rename, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, jsonLines, readTree, runCli, tempDir, writeTree } from './helpers/cli.js'

// The built binary on real directories: with --track-renames a renamed directory of big files is
// renamed on the target (its files keep their inodes: no bytes copied), not copied again and deleted.
// Between two local directories that is not the default: proving two files equal reads both, about
// what a copy costs (bench/README.md, "rename"); S3 and grpc:// targets pair by default (their tests).

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

let src: string
let dst: string
let stateDir: string
const cli = (...args: string[]) => runCli(args, { env: { SYNCFLOW_STATE_DIR: stateDir } })
const BIG = 200 * 1024

beforeEach(async () => {
  const root = await tempDir('syncflow-renames-')
  src = join(root, 'src')
  dst = join(root, 'dst')
  stateDir = join(root, 'state')
  await writeTree(src, {
    'photos/2023/a.jpg': randomBytes(BIG),
    'photos/2023/b.jpg': randomBytes(BIG + 1),
    'photos/2023/note.txt': 'small\n',
  })
  expect((await cli('sync', src, dst)).code).toBe(0)
})

describe('syncflow sync --track-renames', () => {
  it('renames on the target: the files keep their inodes, --json says move, nothing is transferred', async () => {
    const inode = (await stat(join(dst, 'photos/2023/a.jpg'))).ino
    await rename(join(src, 'photos/2023'), join(src, 'photos/archive'))
    const dry = await cli('sync', src, dst, '--track-renames', '--dry-run', '-v')
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain('would move   photos/2023/a.jpg → photos/archive/a.jpg')
    expect(dry.stdout).toContain('would copy   photos/archive/note.txt')
    const r = await cli('sync', src, dst, '--track-renames', '--json')
    expect(r.code).toBe(0)
    const events = jsonLines(r.stdout)
    const moves = events.filter((e) => e.type === 'completed' && (e.action as { kind: string }).kind === 'move')
    expect(moves.map((e) => (e.action as { from: string; path: string }).from).sort()).toEqual([
      'photos/2023/a.jpg',
      'photos/2023/b.jpg',
    ])
    const done = events.find((e) => e.type === 'done')?.summary as { bytesTransferred: number }
    expect(done.bytesTransferred).toBe('small\n'.length)
    expect((await stat(join(dst, 'photos/archive/a.jpg'))).ino).toBe(inode)
    expect(await readTree(dst)).toEqual(await readTree(src))
    // A second run finds all three unchanged: contents, mtimes and modes match.
    const again = await cli('sync', src, dst, '--json')
    const summary = jsonLines(again.stdout).find((e) => e.type === 'done')?.summary as { unchanged: number }
    expect(summary.unchanged).toBe(3)
  })

  it.each([{ flags: [] as string[] }, { flags: ['--no-track-renames'] }])(
    'between two local directories $flags copies the files again and deletes the old names',
    async ({ flags }) => {
      const inode = (await stat(join(dst, 'photos/2023/a.jpg'))).ino
      await rename(join(src, 'photos/2023'), join(src, 'photos/archive'))
      const r = await cli('sync', src, dst, ...flags, '-v')
      expect(r.code).toBe(0)
      expect(r.stdout).toContain('copied   photos/archive/a.jpg')
      expect(r.stdout).toContain('deleted  photos/2023/a.jpg')
      expect((await stat(join(dst, 'photos/archive/a.jpg'))).ino).not.toBe(inode)
      expect(await readTree(dst)).toEqual(await readTree(src))
    },
  )
})

describe('syncflow bisync --track-renames', () => {
  it('renames on B a directory renamed on A: same inodes, said as moves; by default it is copied again', async () => {
    const a = src
    const b = join(src, '..', 'b')
    expect((await cli('sync', src, b)).code).toBe(0) // B starts as a copy of A
    expect((await cli('bisync', a, b)).code).toBe(0)
    const inode = (await stat(join(b, 'photos/2023/a.jpg'))).ino
    await rename(join(a, 'photos/2023'), join(a, 'photos/archive'))
    const r = await cli('bisync', a, b, '--track-renames', '-v')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('moved    photos/2023/a.jpg → photos/archive/a.jpg  (A → B)')
    expect(r.stdout).toContain('copied   photos/archive/note.txt  (A → B)')
    expect((await stat(join(b, 'photos/archive/a.jpg'))).ino).toBe(inode)
    expect(await readTree(b)).toEqual(await readTree(a))

    await rename(join(a, 'photos/archive'), join(a, 'photos/2024'))
    const plain = await cli('bisync', a, b, '-v', '--max-delete', '100%')
    expect(plain.code).toBe(0)
    expect(plain.stdout).toContain('copied   photos/2024/a.jpg  (A → B)')
    expect(await readTree(b)).toEqual(await readTree(a))
  })

  it("answers rclone's --track-renames-strategy with how syncflow pairs renames", async () => {
    const r = await cli('bisync', src, dst, '--track-renames-strategy', 'modtime')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('renames are paired by size and hash')
  })
})
