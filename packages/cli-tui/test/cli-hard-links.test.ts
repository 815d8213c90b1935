import { link, mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, expectUsageError, jsonLines, readTree, runCli, tempDir } from './helpers/cli.js'

// `-H, --hard-links` (rsync's): names of one source file stay names of one file on the target.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

const T0 = new Date('2026-01-02T03:04:05Z')
const TREE = ['a/one', 'b/one', 'c/deep/one', 'x/two', 'y/two', 'z/alone']

let root: string
let src: string
let dst: string
let env: { SYNCFLOW_STATE_DIR: string }

async function put(dir: string, path: string, content: string): Promise<void> {
  const file = join(dir, path)
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, content)
  await utimes(file, T0, T0)
}

async function names(dir: string, from: string, ...to: string[]): Promise<void> {
  for (const t of to) {
    await mkdir(dirname(join(dir, t)), { recursive: true })
    await link(join(dir, from), join(dir, t))
  }
}

/** The paths of `dir` grouped by inode (st_ino), with each group's link count (st_nlink). */
async function groupsOf(dir: string, paths: readonly string[] = TREE): Promise<string[]> {
  const by = new Map<number, { paths: string[]; nlink: number }>()
  for (const p of paths) {
    const st = await stat(join(dir, p))
    const g = by.get(st.ino) ?? { paths: [], nlink: st.nlink }
    g.paths.push(p)
    by.set(st.ino, g)
  }
  return [...by.values()].map((g) => `${g.paths.sort().join(' ')} (${g.nlink})`).sort()
}

beforeEach(async () => {
  root = await tempDir()
  src = join(root, 'src')
  dst = join(root, 'dst')
  env = { SYNCFLOW_STATE_DIR: join(root, 'state') }
  // A file of three names across directories, one of two names, one of one.
  await put(src, 'a/one', 'the first file')
  await put(src, 'x/two', 'the second')
  await put(src, 'z/alone', 'alone')
  await names(src, 'a/one', 'b/one', 'c/deep/one')
  await names(src, 'x/two', 'y/two')
})

const GROUPS = ['a/one b/one c/deep/one (3)', 'x/two y/two (2)', 'z/alone (1)']

describe('-H, --hard-links', () => {
  it('gives the target the link groups of the source; a second run writes nothing', async () => {
    const r = await runCli(['sync', src, dst, '-H', '-v'], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^copied {3}a\/one$/m)
    expect(r.stdout).toMatch(/^linked {3}b\/one$/m)
    expect(r.stdout).toMatch(/^linked {3}c\/deep\/one$/m)
    expect(r.stdout).toMatch(/^linked {3}y\/two$/m)
    expect(r.stderr).toContain('3 names were hard-linked to another name of the same file (-H: no bytes copied).')
    expect(await groupsOf(dst)).toEqual(GROUPS)
    expect(await readTree(dst)).toEqual(await readTree(src))

    const again = await runCli(['sync', src, dst, '--hard-links', '--json'], { env })
    expect(again.code, again.stderr).toBe(0)
    const events = jsonLines(again.stdout)
    expect(events.filter((e) => e.type === 'started')).toEqual([])
    expect((events.at(-1) as unknown as { summary: { unchanged: number } }).summary.unchanged).toBe(TREE.length)
    expect(await groupsOf(dst)).toEqual(GROUPS)
  })

  it('says in --json and a dry run which names it links', async () => {
    const dry = await runCli(['copy', src, dst, '-H', '--dry-run'], { env })
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toMatch(/^would link {3}b\/one$/m)
    expect(dry.stdout).toMatch(/^would copy {3}a\/one$/m)
    await expect(stat(dst)).rejects.toThrow()

    const r = await runCli(['copy', src, dst, '-H', '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    const events = jsonLines(r.stdout)
    const linked = events.filter((e) => e.type === 'completed' && e.linked === true)
    const pairs = linked.map((e) => {
      const a = e.action as { path: string; linkTo?: string }
      return `${a.path} -> ${a.linkTo}`
    })
    // (In the order they completed: any.)
    expect(pairs.sort()).toEqual(['b/one -> a/one', 'c/deep/one -> a/one', 'y/two -> x/two'])
    expect(
      (events.at(-1) as unknown as { summary: { linked?: number; bytesTransferred: number } }).summary,
    ).toMatchObject({
      linked: 3,
      bytesTransferred: 'the first file'.length + 'the second'.length + 'alone'.length,
    })
  })

  it('links names a run without it copied apart, and splits names the source no longer links', async () => {
    expect((await runCli(['sync', src, dst], { env })).code).toBe(0)
    expect(await groupsOf(dst)).toEqual(TREE.map((p) => `${p} (1)`).sort())
    const relink = await runCli(['sync', src, dst, '-H', '-v'], { env })
    expect(relink.code, relink.stderr).toBe(0)
    // Only the later names were replaced, by links: no byte copied.
    expect(relink.stdout.trim().split('\n').sort()).toEqual(['linked   b/one', 'linked   c/deep/one', 'linked   y/two'])
    expect(await groupsOf(dst)).toEqual(GROUPS)

    // b/one becomes a file of its own in the source, same content and mtime (cp -p): split on the target.
    await rm(join(src, 'b/one'))
    await put(src, 'b/one', 'the first file')
    const split = await runCli(['sync', src, dst, '-H', '-v'], { env })
    expect(split.code, split.stderr).toBe(0)
    expect(split.stdout).toMatch(/^updated {2}b\/one$/m)
    expect(await groupsOf(dst)).toEqual(['a/one c/deep/one (2)', 'b/one (1)', 'x/two y/two (2)', 'z/alone (1)'])
    expect(await readTree(dst)).toEqual(await readTree(src))
  })

  it('never links to a first name whose copy failed: the later names are copied', async () => {
    // A directory in the way of the first name on the target (copy never deletes it).
    await put(dst, 'a/one/kept', 'in the way')
    const r = await runCli(['copy', src, dst, '-H', '-v'], { env })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('a/one')
    expect(r.stdout).toMatch(/^copied {3}b\/one$/m)
    expect(r.stdout).toMatch(/^copied {3}c\/deep\/one$/m)
    expect(await groupsOf(dst, ['b/one', 'c/deep/one'])).toEqual(['b/one (1)', 'c/deep/one (1)'])
    expect(await readFile(join(dst, 'c/deep/one'), 'utf8')).toBe('the first file')
    expect(await readFile(join(dst, 'a/one/kept'), 'utf8')).toBe('in the way')
  })

  it('is a usage error where a side is not a local directory, and is not a flag of watch', async () => {
    expectUsageError(
      await runCli(['copy', src, 's3://bucket/backup', '-H'], { env }),
      '--hard-links needs a target that can hard-link one name to another (a local directory), and s3://bucket/backup cannot',
      'Drop -H',
    )
    expectUsageError(
      await runCli(['copy', 's3://bucket/backup', dst, '--hard-links'], { env }),
      '--hard-links needs a source that lists which names are one file',
      's3://bucket/backup',
    )
    expectUsageError(
      await runCli(['watch', src, dst, '-H'], { env }),
      "unknown option '-H'",
      'a flag of sync, copy, move and restore',
    )
  })

  it('is read from --config as "hard-links"', async () => {
    const config = join(root, 'job.json')
    await writeFile(config, JSON.stringify({ 'hard-links': true }))
    const r = await runCli(['sync', src, dst, '--config', config], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(await groupsOf(dst)).toEqual(GROUPS)
    // (The help says what it does.)
    const help = await runCli(['sync', '--help'])
    expect(help.stdout).toMatch(/-H, --hard-links/)
  })
})
