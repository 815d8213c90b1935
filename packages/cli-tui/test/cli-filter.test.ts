import { spawnSync } from 'node:child_process'
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  BIN,
  buildCli,
  cleanupTempDirs,
  expectUsageError,
  jsonLines,
  readTree,
  runCli,
  tempDir,
  writeTree,
} from './helpers/cli.js'

// `--filter` / `--filter-from`: rclone's and rsync's ordered rules, through the built binary.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

const TREE = {
  'a.txt': 'a',
  'b.log': 'b',
  'logs/keep.log': 'keep',
  'logs/old.log': 'old',
  'logs/deep/x.log': 'x',
  'src/m.c': 'c',
  'src/m.h': 'h',
}

let src: string
let dst: string
let stateDir: string

beforeEach(async () => {
  const root = await tempDir()
  src = join(root, 'src')
  dst = join(root, 'dst')
  stateDir = join(root, 'state')
  await writeTree(src, TREE)
})

function cli(...args: string[]) {
  return runCli(args, { env: { SYNCFLOW_STATE_DIR: stateDir } })
}

describe('--filter', () => {
  it('keeps one file of a directory whose rest a later rule leaves out, and a mirror deletes only what takes part', async () => {
    await writeTree(dst, { 'logs/old.log': 'target copy, excluded', 'stale.txt': 'gone' })
    const r = await cli('sync', src, dst, '--filter', '+ logs/keep.log', '--filter', '- logs/', '-v')
    expect(r.code, r.stderr).toBe(0)
    expect(await readTree(dst)).toEqual({
      'a.txt': 'a',
      'b.log': 'b',
      'logs/keep.log': 'keep',
      'logs/old.log': 'target copy, excluded', // excluded: kept, as without --delete-excluded
      'src/m.c': 'c',
      'src/m.h': 'h',
    })
    // With --delete-excluded the target's excluded copy goes too.
    const d = await cli('sync', src, dst, '--filter', '+ logs/keep.log', '--filter', '- logs/', '--delete-excluded')
    expect(d.code, d.stderr).toBe(0)
    expect(Object.keys(await readTree(dst)).sort()).toEqual(['a.txt', 'b.log', 'logs/keep.log', 'src/m.c', 'src/m.h'])
  })

  it("reads rsync's idiom: every directory and only the *.c files", async () => {
    const r = await cli('copy', src, dst, '--filter', '+ */', '--filter', '+ *.c', '--filter', '- *')
    expect(r.code, r.stderr).toBe(0)
    expect(await readTree(dst)).toEqual({ 'src/m.c': 'c' })
    // `+ */` takes the directories themselves, as rsync makes them, empty ones included.
    expect((await stat(join(dst, 'logs/deep'))).isDirectory()).toBe(true)
  })

  it('makes a directory walked only for a "+" rule once something in it is copied', async () => {
    const r = await cli('copy', src, dst, '--filter', '+ *.c', '--filter', '- *')
    expect(r.code, r.stderr).toBe(0)
    expect(await readTree(dst)).toEqual({ 'src/m.c': 'c' })
    expect(await stat(join(dst, 'logs')).catch(() => 'not made')).toBe('not made')
  })

  it('lists with ls, and plans with --dry-run, what a run would take', async () => {
    const rules = ['--filter', '+ logs/keep.log', '--filter', '- *.log', '--filter', '- src/*.h']
    const ls = await cli('ls', src, ...rules, '--json')
    expect(ls.code, ls.stderr).toBe(0)
    const listed = ls.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; path: string })
      .filter((e) => e.kind === 'file')
      .map((e) => e.path)
      .sort()
    expect(listed).toEqual(['a.txt', 'logs/keep.log', 'src/m.c'])
    const dry = await cli('sync', src, dst, ...rules, '--dry-run', '--json')
    expect(dry.code, dry.stderr).toBe(0)
    const copies = jsonLines(dry.stdout)
      .filter((e) => e.type === 'planned' && (e.action as { kind: string }).kind === 'copy')
      .map((e) => (e.action as { path: string }).path)
      .sort()
    expect(copies).toEqual(listed)
    expect(await stat(dst).catch(() => 'not made')).toBe('not made')
  })

  it('matches a name starting with ! when it is escaped, as the message for the bare one says', async () => {
    await writeTree(src, { '!x': 'bang' })
    const r = await cli('copy', src, dst, '--filter', '- \\!x', '--filter', '- *.log')
    expect(r.code, r.stderr).toBe(0)
    expect(Object.keys(await readTree(dst)).sort()).toEqual(['a.txt', 'src/m.c', 'src/m.h'])
  })

  it('gives rules in a hint that a shell takes as they are, a quote in a name too', async () => {
    await writeTree(src, { "it's.txt": 'q' })
    const r = await cli('copy', src, dst, '--include', "it's.txt", '--exclude', '*.txt')
    expectUsageError(r, "--filter '+ it'\\''s.txt' --filter '- *.txt'")
    // Pasted into a shell, as the user would.
    const pasted = spawnSync(
      'sh',
      ['-c', `"$0" "$1" copy "$2" "$3" --filter '+ it'\\''s.txt' --filter '- *.txt'`, process.execPath, BIN, src, dst],
      {
        env: { ...process.env, SYNCFLOW_STATE_DIR: stateDir },
        encoding: 'utf8',
      },
    )
    expect(pasted.status, pasted.stderr).toBe(0)
    expect((await readTree(dst))["it's.txt"]).toBe('q')
    expect((await readTree(dst))['a.txt']).toBeUndefined()
  })

  it('comes after --exclude, which still wins', async () => {
    const r = await cli('copy', src, dst, '--exclude', 'keep.log', '--filter', '+ logs/keep.log', '--filter', '- *.log')
    expect(r.code, r.stderr).toBe(0)
    expect(Object.keys(await readTree(dst)).sort()).toEqual(['a.txt', 'src/m.c', 'src/m.h'])
  })

  it('refuses a rule it does not read with exit 2, saying the forms it reads', async () => {
    for (const rule of ['include *.c', '+*.c', '- ', '-! x']) {
      expectUsageError(
        await cli('sync', src, dst, '--filter', rule),
        'not a rule syncflow reads',
        "'+ GLOB' to include",
      )
    }
    expectUsageError(
      await cli('sync', src, dst, '--filter', ':- .gitignore'),
      "rsync's merge rules (rules read from files) are not read",
      '.syncflowignore at the source root',
    )
    expectUsageError(await cli('sync', src, dst, '--filter', '- !x'), "escape it: '- \\!x'")
    expect(await stat(dst).catch(() => 'not made')).toBe('not made') // nothing ran
  })
})

describe('--filter-from', () => {
  it('reads rules in order: comments, blank lines, blanks around a rule, CRLF and "!" as rclone reads them', async () => {
    const file = join(await tempDir(), 'rules.txt')
    await writeFile(file, '# drop everything\r\n- *\r\n!\r\n\r\n; the real rules\r\n  + logs/keep.log  \r\n- *.log\r\n')
    const r = await cli('copy', src, dst, '--filter-from', file)
    expect(r.code, r.stderr).toBe(0)
    expect(Object.keys(await readTree(dst)).sort()).toEqual(['a.txt', 'logs/keep.log', 'src/m.c', 'src/m.h'])
  })

  it('puts the --filter rules before the file’s, and reads standard input', async () => {
    const r = spawnSync(process.execPath, [BIN, 'copy', src, dst, '--filter-from', '-', '--filter', '+ b.log'], {
      input: '- *.log\n- src/\n',
      env: { ...process.env, SYNCFLOW_STATE_DIR: stateDir },
      encoding: 'utf8',
    })
    expect(r.status, r.stderr).toBe(0)
    expect(Object.keys(await readTree(dst)).sort()).toEqual(['a.txt', 'b.log'])
  })

  it('names the line of a bad rule, and a missing file, with exit 2', async () => {
    const file = join(await tempDir(), 'rules.txt')
    await writeFile(file, '- *.tmp\n*.log\n')
    expectUsageError(await cli('sync', src, dst, '--filter-from', file), 'rules.txt, line 2 ("*.log")', "'+ GLOB'")
    expectUsageError(await cli('sync', src, dst, '--filter-from', join(src, 'none')), 'no such file')
    expect(await stat(dst).catch(() => 'not made')).toBe('not made')
  })

  it('is read beside a config file that names it, and a config file may list rules', async () => {
    const conf = await tempDir()
    await writeFile(join(conf, 'rules'), '- src/\n')
    await writeFile(
      join(conf, 'job.json'),
      JSON.stringify({ 'filter-from': 'rules', filter: ['+ logs/keep.log', '- *.log'] }),
    )
    const r = await cli('copy', src, dst, '--config', join(conf, 'job.json'))
    expect(r.code, r.stderr).toBe(0)
    expect(Object.keys(await readTree(dst)).sort()).toEqual(['a.txt', 'logs/keep.log'])
  })

  it('filters both sides of a bisync, leaving what it excludes as it is on each', async () => {
    await writeTree(dst, { 'b.log': 'B side log', 'only-b.txt': 'b' })
    const rules = join(await tempDir(), 'rules.txt')
    await writeFile(rules, '+ logs/keep.log\n- *.log\n')
    const r = await cli('bisync', src, dst, '--filter-from', rules)
    expect(r.code, r.stderr).toBe(0)
    const a = await readTree(src)
    const b = await readTree(dst)
    expect(b['b.log']).toBe('B side log') // excluded: neither side's copy crosses
    expect(a['b.log']).toBe('b')
    expect(a['only-b.txt']).toBe('b')
    expect(b['logs/keep.log']).toBe('keep')
    expect(b['logs/old.log']).toBeUndefined()
    expect(b['src/m.c']).toBe('c')
  })

  // Review of --filter: bisync made the directories walked only for a "+" rule on the other side, empty.
  it('makes no empty directory on the other side of a bisync for a directory walked only for a "+" rule', async () => {
    await writeTree(dst, { 'b-only/x.c': 'bx', 'b-only/notes.txt': 'n' })
    const r = await cli('bisync', src, dst, '--filter', '+ *.c', '--filter', '- *')
    expect(r.code, r.stderr).toBe(0)
    expect(Object.keys(await readTree(dst)).sort()).toEqual(['b-only/notes.txt', 'b-only/x.c', 'src/m.c'])
    expect(await stat(join(dst, 'logs')).catch(() => 'not made')).toBe('not made')
    expect((await readTree(src))['b-only/x.c']).toBe('bx')
    // A side's own directory holding nothing that crosses is not made on the other either.
    await writeTree(dst, { 'b-empty/y.h': 'h' })
    const again = await cli('bisync', src, dst, '--filter', '+ *.c', '--filter', '- *')
    expect(again.code, again.stderr).toBe(0)
    expect(await stat(join(src, 'b-empty')).catch(() => 'not made')).toBe('not made')
  })
})
