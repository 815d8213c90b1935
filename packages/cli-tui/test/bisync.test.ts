import { mkdir, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  expectUsageError,
  jsonLines,
  readTree,
  runCli,
  snapshotTree,
  tempDir,
  writeTree,
} from './helpers/cli.js'

// `syncflow bisync A B` as a user runs it: the built binary on real directories, one job's state
// kept between runs in a scratch state directory.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

let A: string
let B: string
let env: Record<string, string>
beforeEach(async () => {
  const root = await tempDir('syncflow-bisync-cli-')
  A = join(root, 'a')
  B = join(root, 'b')
  await mkdir(A)
  await mkdir(B)
  env = { SYNCFLOW_STATE_DIR: join(root, 'state') }
})

const bisync = (...flags: string[]) => runCli(['bisync', A, B, ...flags], { env })

/** Gives a file an mtime `sec` seconds after a fixed time (which version is newer must not depend on timing). */
async function at(file: string, sec: number): Promise<void> {
  const t = 1_790_000_000 + sec
  await utimes(file, t, t)
}

describe('syncflow bisync', () => {
  it('a first dry run with --state sqlite:FILE or a DIR/ makes no state file either', async () => {
    await writeTree(A, { f: 'x' })
    const dir = join(A, '..', 'states')
    await mkdir(dir)
    for (const state of [`sqlite:${join(dir, 'job.sqlite')}`, `${dir}/`]) {
      const dry = await bisync('-n', '--state', state)
      expect(dry.code, dry.stderr).toBe(0)
      expect(dry.stdout).toContain('would copy   f  (A → B)')
      expect(await readdir(dir)).toEqual([])
    }
    // Its directory missing: said as the real run says it (exit 2), not passed over.
    const missing = await bisync('-n', '--state', join(dir, 'none', 'job.sqlite'))
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("the state file's directory")
  })

  it('a dry run writes no state: a first one makes no state file (the real run does)', async () => {
    await writeTree(A, { 'a.txt': 'from a', 'b.txt': 'b' })
    const dry = await bisync('-n')
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toContain('would copy   a.txt  (A → B)')
    const stateFiles = async () =>
      (await readdir(env.SYNCFLOW_STATE_DIR!).catch(() => [])).filter((f) => f.endsWith('.sqlite'))
    expect(await stateFiles()).toEqual([])
    expect((await bisync()).code).toBe(0)
    expect(await stateFiles()).toHaveLength(1)
    // With records, a dry run reads them: a delete on B would be carried to A.
    await rm(join(B, 'a.txt'))
    const dry2 = await bisync('-n')
    expect(dry2.stdout).toContain('would delete a.txt  (on A)')
    expect(await readTree(A)).toEqual({ 'a.txt': 'from a', 'b.txt': 'b' })
  })

  it('copies each side to the other on a first run, says which way, and finds nothing to do after', async () => {
    await writeTree(A, { 'a.txt': 'from a', 'docs/x.md': 'x' })
    await writeTree(B, { 'b.txt': 'from b' })
    const r = await bisync('-v')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('copied   a.txt  (A → B)')
    expect(r.stdout).toContain('copied   b.txt  (B → A)')
    expect(r.stdout).toContain('created  docs  (A → B)')
    const want = { 'a.txt': 'from a', 'b.txt': 'from b', 'docs/x.md': 'x' }
    expect(await readTree(A)).toEqual(want)
    expect(await readTree(B)).toEqual(want)
    const again = await bisync('--json')
    expect(again.code).toBe(0)
    const done = jsonLines(again.stdout).at(-1)
    expect(done).toMatchObject({ type: 'done', summary: { mode: 'bisync', unchanged: 3, failed: 0 } })
    expect(jsonLines(again.stdout).filter((e) => e.type === 'planned')).toEqual([])
  })

  it('carries a delete and an edit made on B to A, with the side in --json', async () => {
    await writeTree(A, { 'keep.txt': 'v1', 'gone.txt': 'v1' })
    expect((await bisync()).code).toBe(0)
    await rm(join(B, 'gone.txt'))
    await writeFile(join(B, 'keep.txt'), 'v2 on b')
    await at(join(B, 'keep.txt'), 100)
    const r = await bisync('--json')
    expect(r.code, r.stderr).toBe(0)
    const planned = jsonLines(r.stdout)
      .filter((e) => e.type === 'planned')
      .map((e) => e.action as { kind: string; path: string; to: string })
      .map((a) => `${a.kind} ${a.path} to ${a.to}`)
      .sort()
    expect(planned).toEqual(['delete gone.txt to a', 'update keep.txt to a'])
    expect(await readTree(A)).toEqual({ 'keep.txt': 'v2 on b' })
  })

  it('keeps both versions of a file edited on both sides, and says so', async () => {
    await writeTree(A, { 'notes.txt': 'v1' })
    expect((await bisync()).code).toBe(0)
    await writeFile(join(A, 'notes.txt'), 'edit on a (older)')
    await at(join(A, 'notes.txt'), 100)
    await writeFile(join(B, 'notes.txt'), 'edit on b (newer)')
    await at(join(B, 'notes.txt'), 200)
    const dry = await bisync('-n')
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stderr).toMatch(/notes\.txt changed on both sides: B's version .* would keep the name/)
    expect(await readTree(A)).toEqual({ 'notes.txt': 'edit on a (older)' })
    const r = await bisync()
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(
      /note: notes\.txt changed on both sides: B's version .* keeps the name, A's is kept as notes\.sync-conflict-\d{8}-\d{6}-A\.txt on both/,
    )
    const tree = await readTree(A)
    expect(tree).toEqual(await readTree(B))
    const names = Object.keys(tree)
    expect(names).toHaveLength(2)
    expect(tree['notes.txt']).toBe('edit on b (newer)')
    expect(tree[names.find((n) => n.includes('.sync-conflict-'))!]).toBe('edit on a (older)')
  })

  it('--checksum: a file touched on one side gets its mtime carried, not a copy; one changed alike on both is no conflict', async () => {
    await writeTree(A, { 'same.txt': 'same bytes', 'alike.txt': 'v1' })
    await at(join(A, 'same.txt'), 1)
    expect((await bisync()).code).toBe(0)
    await at(join(A, 'same.txt'), 100)
    await writeFile(join(A, 'alike.txt'), 'v2 typed on both')
    await at(join(A, 'alike.txt'), 200)
    await writeFile(join(B, 'alike.txt'), 'v2 typed on both')
    await at(join(B, 'alike.txt'), 300)
    const r = await bisync('-c', '-v')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('touched  same.txt  (A → B)')
    expect(r.stdout).toContain('touched  alike.txt  (B → A)')
    expect(r.stdout).not.toMatch(/copied|updated/)
    expect(r.stderr).not.toContain('sync-conflict')
    expect(Math.round((await stat(join(B, 'same.txt'))).mtimeMs)).toBe((1_790_000_000 + 100) * 1000)
    expect(Math.round((await stat(join(A, 'alike.txt'))).mtimeMs)).toBe((1_790_000_000 + 300) * 1000)
    const want = { 'alike.txt': 'v2 typed on both', 'same.txt': 'same bytes' }
    expect(await readTree(A)).toEqual(want)
    expect(await readTree(B)).toEqual(want)
    // Without -c, the next run finds them equal: the mtimes were carried, not only recorded.
    const again = await bisync('--json')
    expect(jsonLines(again.stdout).filter((e) => e.type === 'planned')).toEqual([])
    expectUsageError(await bisync('-c', '--size-only'), '--size-only')
    const help = await runCli(['bisync', '--help'])
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      "-c, --checksum tell A's and B's versions of a file apart by a hash both offer",
    )
  })

  it('lists in a dry run the lines of the real run on a conflict, the conflict copy crossing included', async () => {
    await writeTree(A, { 'notes.txt': 'v1' })
    expect((await bisync()).code).toBe(0)
    await writeFile(join(A, 'notes.txt'), 'edit on a (older)')
    await at(join(A, 'notes.txt'), 100)
    await writeFile(join(B, 'notes.txt'), 'edit on b (newer)')
    await at(join(B, 'notes.txt'), 200)
    // (The conflict copy's name has the run's time, to the second: not what is compared.)
    const lines = (out: string) =>
      out
        .replace(/\d{8}-\d{6}/g, 'STAMP')
        .split('\n')
        .filter((l) => l !== '')
        .sort()
    const dry = await bisync('-n', '-v')
    expect(dry.code, dry.stderr).toBe(0)
    const real = await bisync('-v')
    expect(real.code, real.stderr).toBe(0)
    expect(lines(real.stdout)).toEqual([
      'copied   notes.sync-conflict-STAMP-A.txt  (A → B)',
      'updated  notes.txt  (B → A)',
    ])
    const verbs: Record<string, string> = { copy: 'copied', update: 'updated' }
    expect(
      lines(dry.stdout).map((l) => l.replace(/^would (\w+) +/, (_, v: string) => `${verbs[v]?.padEnd(8)} `)),
    ).toEqual(lines(real.stdout))
    expect(dry.stderr).toMatch(/would copy 1 file, update 1 /)
    expect(real.stderr).toMatch(/copied 1 file, updated 1,/)
  })

  describe('speaks of A and B, never of a source or a target', () => {
    /** What the run says in words: the human output, or the messages, reasons and hints of --json. */
    function words(r: { stdout: string; stderr: string }, json: boolean): string {
      if (!json) return `${r.stdout}\n${r.stderr}`
      const out: string[] = [r.stderr]
      for (const e of jsonLines(r.stdout)) {
        const err = e.error as { message?: string; hint?: string } | undefined
        const summary = e.summary as { deletesSuppressed?: string } | undefined
        for (const t of [e.message, e.reason, err?.message, err?.hint, summary?.deletesSuppressed]) {
          if (typeof t === 'string') out.push(t)
        }
      }
      return out.join('\n')
    }
    /** Runs bisync as a user would, with and without --json, and checks its words (the flag's own name aside). */
    async function runSaying(want: RegExp, wantJson: RegExp, ...flags: string[]): Promise<void> {
      for (const json of [false, true]) {
        const r = await bisync(...flags, ...(json ? ['--json'] : []))
        expect(r.code, r.stderr).toBe(1)
        const said = words(r, json)
        expect(said).toMatch(json ? wantJson : want)
        expect(said.replaceAll('--allow-empty-source', '--allow-empty-…')).not.toMatch(/source|target/i)
      }
    }

    it('when deletes exceed --max-delete', async () => {
      await writeTree(A, { 'f1.txt': '1', 'f2.txt': '2', 'f3.txt': '3', 'f4.txt': '4' })
      expect((await bisync()).code).toBe(0)
      for (const n of [1, 2, 3]) await rm(join(A, `f${n}.txt`))
      const said = /3 deletes \(75\.0% of B's 4 files\) exceed --max-delete 50%: none run/
      await runSaying(said, said, '-v')
      expect(Object.keys(await readTree(B))).toHaveLength(4)
    })

    it('when a side has no files left', async () => {
      await writeTree(A, { 'f1.txt': '1', 'f2.txt': '2' })
      expect((await bisync()).code).toBe(0)
      await rm(join(B, 'f1.txt'))
      await rm(join(B, 'f2.txt'))
      const said = /B is empty: refusing to delete all 2 file\(s\) of A/
      await runSaying(said, said, '-v')
      expect(Object.keys(await readTree(A))).toHaveLength(2)
    })

    it('when a listing error holds the deletes back, on either side', async () => {
      await writeTree(A, { 'f1.txt': '1', 'f2.txt': '2', 'f3.txt': '3' })
      expect((await bisync()).code).toBe(0)
      await rm(join(A, 'f1.txt'))
      // A name that is not UTF-8: a listing error, which holds every delete back.
      for (const [side, other] of [
        [B, 'B'],
        [A, 'A'],
      ] as const) {
        const bad = Buffer.concat([Buffer.from(side), Buffer.from('/bad\xffname', 'latin1')])
        await writeFile(bad, 'x')
        // (--json gives the listing's side as `side`, "source" for A and "target" for B, as documented.)
        await runSaying(
          new RegExp(`bad.name \\(on ${other}\\)[^]*1 delete\\(s\\) not run`),
          /1 delete\(s\) not run/,
          '-v',
        )
        const r = await bisync('--json')
        const failed = jsonLines(r.stdout).find((e) => e.type === 'failed')
        expect(failed).toMatchObject({ stage: 'list', side: other === 'A' ? 'source' : 'target' })
        await rm(bad)
      }
      expect(Object.keys(await readTree(B))).toHaveLength(3)
    })
  })

  it('keeps a directory deleted on A that holds excluded files on B, and says that is why', async () => {
    await writeTree(A, { 'k1.txt': '1', 'k2.txt': '2', 'k3.txt': '3', 'd/f.txt': 'f' })
    expect((await bisync('--exclude', '*.log')).code).toBe(0)
    await writeTree(B, { 'd/run.log': 'excluded' })
    await rm(join(A, 'd'), { recursive: true })
    const why =
      'skipped  d: kept on B: it holds what the filters exclude (d/run.log), which two-way sync leaves as it is'
    for (const flags of [['-n'], []]) {
      const r = await bisync('--exclude', '*.log', ...flags)
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toContain(why)
      expect(r.stderr).not.toContain('added since the listing')
    }
    expect(await readTree(B)).toEqual({ 'd/run.log': 'excluded', 'k1.txt': '1', 'k2.txt': '2', 'k3.txt': '3' })
  })

  it('writes nothing in a dry run, on either side', async () => {
    await writeTree(A, { 'a.txt': 'a' })
    await writeTree(B, { 'b.txt': 'b' })
    const before = [await snapshotTree(A), await snapshotTree(B)]
    const r = await bisync('--dry-run')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('would copy   a.txt  (A → B)')
    expect([await snapshotTree(A), await snapshotTree(B)]).toEqual(before)
  })

  it('refuses a missing B (never taken as empty), and --no-state', async () => {
    await writeTree(A, { 'a.txt': 'a' })
    await rm(B, { recursive: true })
    const r = await bisync()
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('does not exist')
    expect(r.stderr).toContain('mkdir')
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
    await mkdir(B)
    expectUsageError(await bisync('--no-state'), '--no-state')
    expect(await readTree(A)).toEqual({ 'a.txt': 'a' })
  })

  it('names the sides A and B in its refusals, each with its article', async () => {
    const missing = await runCli(['bisync', join(A, 'nope'), B], { env })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain(`side A ${JSON.stringify(join(A, 'nope'))} does not exist`)
    // Made first, as a missing B is (a remote A is left to bisync: see backend-s3's cli-bisync-new-prefix).
    expect(missing.stderr).toContain('Make it first (mkdir)')
    await mkdir(join(A, 'sub'))
    const inside = await runCli(['bisync', A, join(A, 'sub')], { env })
    expect(inside.code).toBe(2)
    expect(inside.stderr).toContain('overlap: side B is inside side A')
    expect(inside.stderr).toContain('Give A and B locations of which neither contains the other')
  })
})
