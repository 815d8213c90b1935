import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rename, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// The file operations of the bisync tests (bisync*.test.ts), on real directories.

/** A fresh temp directory (`root`) holding the two empty sides of a test, `a` and `b`. */
export async function twoSides(prefix: string): Promise<{ root: string; A: string; B: string }> {
  const root = await mkdtemp(join(tmpdir(), prefix))
  const [A, B] = [join(root, 'a'), join(root, 'b')]
  await mkdir(A)
  await mkdir(B)
  return { root, A, B }
}

/** Writes a file with a given mtime (seconds from a fixed epoch), making its directories. */
export async function put(dir: string, path: string, body: Buffer | string, mtimeSec = 1): Promise<void> {
  await mkdir(join(dir, path, '..'), { recursive: true })
  await writeFile(join(dir, path), body)
  const t = 1_790_000_000 + mtimeSec
  await utimes(join(dir, path), t, t)
}

/** A user's `mv` within one side (the file keeps its inode and mtime). */
export async function mv(dir: string, from: string, to: string): Promise<void> {
  await mkdir(join(dir, to, '..'), { recursive: true })
  await rename(join(dir, from), join(dir, to))
}

/** Every file below `dir`: its path and the SHA-256 of its bytes. */
export async function tree(dir: string): Promise<Record<string, string>> {
  const out: [string, string][] = []
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue
    const rel = join(e.parentPath, e.name).slice(dir.length + 1)
    out.push([
      rel,
      createHash('sha256')
        .update(await readFile(join(dir, rel)))
        .digest('hex'),
    ])
  }
  return Object.fromEntries(out.sort(([x], [y]) => (x < y ? -1 : 1)))
}

/** Every file below `dir` with its content as text, in path order. */
export async function textTree(dir: string): Promise<Record<string, string>> {
  const out: [string, string][] = []
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue
    const rel = join(e.parentPath, e.name).slice(dir.length + 1)
    out.push([rel, await readFile(join(dir, rel), 'utf8')])
  }
  return Object.fromEntries(out.sort(([x], [y]) => (x < y ? -1 : 1)))
}
