import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  exitedWithin,
  expectUsageError,
  REPO,
  runCli,
  startCli,
  tempDir,
} from './helpers/cli.js'

// The built binary, run as a child process: help, version, and every way to get the flags wrong.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

describe('help and version', () => {
  it('--version prints the package version', async () => {
    const { version } = (await import(join(REPO, 'packages/cli-tui/package.json'), { with: { type: 'json' } }))
      .default as { version: string }
    const r = await runCli(['--version'])
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' })
  })

  it('--help lists every command', async () => {
    const r = await runCli(['--help'])
    expect(r.code).toBe(0)
    for (const cmd of ['sync', 'copy|backup', 'restore', 'check', 'ls', 'bisync', 'watch', 'ui', 'serve']) {
      expect(r.stdout).toContain(cmd)
    }
    expect(r.stdout).toContain('Exit codes')
  })

  it('sync --help lists the flags of design section 8', async () => {
    const r = await runCli(['sync', '--help'])
    expect(r.code).toBe(0)
    for (const flag of [
      '--dry-run',
      '--json',
      '--checksum',
      '--size-only',
      '--concurrency',
      '--exclude',
      '--include',
      '--delete-excluded',
      '--max-delete',
      '--allow-empty-source',
      '--state',
      '--no-state',
      '--bwlimit',
      '--symlinks',
      '--s3-endpoint',
      '--timeout',
      '--contimeout',
      '--quiet',
      '--verbose',
      '--config',
    ]) {
      expect(r.stdout).toContain(flag)
    }
    // QA 27d: the range --concurrency takes was said only once a value outside it was refused.
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('--concurrency <N> actions executed at once, 1 to 256')
  })

  it('ls --help describes its --json output as entries, not SyncEvents', async () => {
    const r = await runCli(['ls', '--help'])
    expect(r.code).toBe(0)
    const json = r.stdout.slice(r.stdout.indexOf('--json'), r.stdout.indexOf('--symlinks'))
    expect(json).toContain('JSON entry per line')
    expect(json).not.toContain('SyncEvents')
  })

  it('ui --help does not list --json, which ui refuses (it draws on the terminal)', async () => {
    const r = await runCli(['ui', '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('--watch')
    expect(r.stdout).not.toContain('--json')
    expect(r.stdout).not.toContain('NDJSON')
  })

  it('no command at all is a usage error that shows the help', async () => {
    const r = await runCli([])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Usage: syncflow')
  })
})

describe('serve', () => {
  it('needs --root and --listen', async () => {
    const r = await runCli(['serve', '--root', '.'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--listen')
    // Named as every other command's usage errors are (QA 20 F7: it said 'syncflow <command> --help').
    expect(r.stderr).toContain("(run 'syncflow serve --help' to see the flags)")
  })
  // Its required flags were checked before unknown ones: `serve -avz` got "required option '--root
  // <DIR>' not specified", not the hint every other command gives for rsync's flags.
  it("an rsync user's flags get the hint other commands give, before the missing --root", async () => {
    expectUsageError(
      await runCli(['serve', '-avz']),
      "unknown option '-avz'",
      '-a is always on',
      'give its own alone: -v',
      "(run 'syncflow serve --help' to see the flags)",
    )
    const r = await runCli(['serve', '--root', '.', '--listen', '127.0.0.1:0', '--delete'])
    expectUsageError(r, "unknown option '--delete'")
    expect(r.stderr).not.toContain('required option')
  })
  it('refuses a missing root with exit 2', async () => {
    const r = await runCli(['serve', '--root', '/nonexistent/syncflow-root', '--listen', '127.0.0.1:0'])
    expect(r.code).toBe(2)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})

describe('bad flags and arguments', () => {
  const cases: [string[], string[]][] = [
    [
      ['--concurrency', '0'],
      ["'--concurrency <N>'", "'0'", 'whole number from 1 to 256'],
    ],
    [
      ['--concurrency', 'lots'],
      ["'--concurrency <N>'", "'lots'"],
    ],
    [
      ['--max-delete', '12x'],
      ["'--max-delete <N|P%>'", "'12x'", 'percentage'],
    ],
    [
      ['--max-delete', '150%'],
      ["'150%'", 'from 0% to 100%'],
    ],
    [
      ['--bwlimit', '10X'],
      ["'--bwlimit <RATE>'", "'10X'", '512k or 10M'],
    ],
    [
      ['--block-size', 'abc'],
      ["'--block-size <BYTES>'", 'is not a block size', 'from 64 to 1M'],
    ],
    [
      ['--block-size', '2M'],
      ["'--block-size <BYTES>'", 'from 64 to 1M'],
    ],
    [
      ['--symlinks', 'sometimes'],
      ["'--symlinks <POLICY>'", "'sometimes'", 'skip, follow, preserve'],
    ],
    [
      ['--s3-endpoint', 'ftp://x'],
      ["'--s3-endpoint <URL>'", 'http://'],
    ],
    [
      ['--timeout', 'abc'],
      ["'--timeout <SEC>'", "'abc'", 'number of seconds from 0.1 to 86400'],
    ],
    [
      ['--timeout', '-5'],
      ["'--timeout <SEC>'", "'-5'", 'number of seconds'],
    ],
    [
      ['--contimeout', '90000'],
      ["'--contimeout <SEC>'", "'90000'", 'from 0.1 to 86400'],
    ],
    [
      ['--timeout', '0.0001'],
      ["'--timeout <SEC>'", "'0.0001'", 'from 0.1 to 86400', 'or 0 for the default'],
    ],
    [
      ['--contimeout', '1 minute'],
      ["'--contimeout <SEC>'", "'1 minute'", 'e.g. 30 or 2.5', '5m'],
    ],
    [
      ['--exclude', ''],
      ["'--exclude <PATTERN>'", 'glob'],
    ],
    // QA 20 F7: an empty --state (an unset variable) ran with the default store.
    [
      ['--state', ''],
      ["'--state <URI>'", "argument '' is invalid", 'leave --state out'],
    ],
    // QA 29b: a dry run opens no store, so it took a --state the real run then refused.
    [
      ['--state', 'bogus://x', '-n'],
      ["'--state <URI>'", 'unknown state location scheme "bogus:"', 'redis://'],
    ],
    [
      ['--state', 'memory:x', '-n'],
      ["'--state <URI>'", 'unexpected text after "memory:"'],
    ],
    [
      ['--checksum', '--size-only'],
      ['--checksum', '--size-only'],
    ],
    [['--frobnicate'], ["unknown option '--frobnicate'"]],
  ]
  it.each(cases)('sync a b %j → exit 2 naming the flag, value and fix', async (flags, mentions) => {
    const r = await runCli(['sync', 'a', 'b', ...flags])
    expectUsageError(r, ...mentions)
  })

  // An rsync, rclone or AWS CLI user's flags from habit: the unknown flag is said with what to do instead.
  it.each([
    [
      ['sync', '-avz'],
      ["unknown option '-avz'", '-a is always on', '-z is --compress', 'give its own alone: -v'],
    ],
    [
      ['sync', '--delete'],
      ['`syncflow sync` is a mirror', 'drop --delete'],
    ],
    [
      ['copy', '--delete'],
      ['`syncflow copy` never deletes', '`syncflow sync` is the mirror'],
    ],
    [
      ['bisync', '--delete'],
      ["`syncflow bisync` carries each side's deletes to the other", 'drop --delete'],
    ],
    [
      ['sync', '--partial'],
      ['a download from a syncflow serve', 'the next try moves only the rest: drop --partial'],
    ],
    [['sync', '-P'], ['-P is not needed: a progress line is shown on a terminal']],
    // Not "a mirror" where --mode copy made it none.
    [
      ['watch', '--mode', 'copy', '--delete'],
      ['`syncflow watch --mode copy` never deletes', 'drop --mode copy and --delete'],
    ],
    // Commander takes the -n of `-nav` and names `-av`: the hint keeps the dry run.
    [
      ['sync', '-nav'],
      ["unknown option '-av'", '-a is always on', 'give its own alone: -nv'],
    ],
    // QA 25d: only the letters the command takes: check has no -n (nor ls), watch no -x.
    [
      ['check', '-nav'],
      ["unknown option '-nav'", '-a is always on', 'give its own alone: -v;', '`syncflow check` takes no -n'],
    ],
    [
      ['watch', '-axv'],
      ['-a is always on', 'give its own alone: -v;', '`syncflow watch` takes no -x'],
    ],
    [
      ['sync', '--transfers=16'],
      ["unknown option '--transfers=16'", '--concurrency N'],
    ],
    [['copy', '--endpoint-url', 'http://x'], ['--s3-endpoint URL']],
    // (QA 28d: `sync --watch` got a bare "unknown option".)
    [
      ['sync', '--watch'],
      ['`syncflow watch SRC DST`', '`syncflow ui --watch SRC DST`'],
    ],
    [
      ['copy', '--watch'],
      ['`syncflow watch --mode copy SRC DST`', '`syncflow ui --watch --mode copy SRC DST`'],
    ],
    // (QA 29b: `ui`'s short -w, given to sync, got a bare "unknown option".)
    [
      ['sync', '-w'],
      ["unknown option '-w'", '`syncflow watch SRC DST`', '`syncflow ui --watch SRC DST`'],
    ],
    // rsync's delta switches: when syncflow uses its delta, and that there is no switch.
    [
      ['sync', '-W'],
      ["unknown option '-W'", '-W is not there', 'deltas to and from grpc:// only'],
    ],
    [
      ['sync', '--no-whole-file'],
      ["unknown option '--no-whole-file'", 'rsync-style deltas to and from a grpc:// server', 'drop --no-whole-file'],
    ],
    // QA 30d: rsync's filter flags (`-am` of its include idiom) got a bare "unknown option".
    [
      ['sync', '-am'],
      ["unknown option '-am'", '-a is always on', '-m is not there', 'none left empty by the filter'],
    ],
    [
      ['copy', '--prune-empty-dirs'],
      ['none left empty by the filter', 'drop --prune-empty-dirs'],
    ],
    [
      ['sync', '-F'],
      ["unknown option '-F'", '.syncflowignore at the source root'],
    ],
    [
      ['sync', '--cvs-exclude'],
      ['no built-in list', 'drop --cvs-exclude'],
    ],
    [
      ['sync', '--filter-from', 'no-such-rules.txt'],
      ['cannot read "no-such-rules.txt": no such file', 'Give a file of filter rules'],
    ],
    [
      ['sync', '--delete-missing-args'],
      ['--files-from path the source lacks', 'deletes the target', 'drop'],
    ],
  ])('%j → exit 2, saying what syncflow does instead', async (args, mentions) => {
    const [command, ...flags] = args as [string, ...string[]]
    expectUsageError(await runCli([command, 'a', 'b', ...flags]), ...mentions)
  })

  // Commander's guess at a near name is left out where the hint says what to do: "Did you mean
  // --timeout?" beside "drop --times" sent an rsync user to an I/O timeout.
  it("another tool's flag gets its hint, not commander's guess at a near flag of syncflow", async () => {
    for (const json of [false, true]) {
      const r = await runCli(['sync', 'a', 'b', '--times', ...(json ? ['--json'] : [])])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('drop --times')
      expect(r.stderr).not.toContain('Did you mean')
      if (json) expect(r.stdout).not.toContain('Did you mean')
    }
    // Without a hint, the guess stays.
    expect((await runCli(['sync', 'a', 'b', '--timeot'])).stderr).toContain('Did you mean --timeout?')
  })

  it('an unknown flag no other tool has gets no such hint', async () => {
    for (const flag of ['--frobnicate', '-vk']) {
      const r = await runCli(['sync', 'a', 'b', flag])
      expect(r.code).toBe(2)
      expect(r.stderr).not.toContain(" is rsync's")
      expect(r.stderr.split('\n').filter((l) => l.startsWith('  '))).toEqual([])
    }
  })

  it('a missing argument names it', async () => {
    expectUsageError(await runCli(['sync', 'only-one']), "missing required argument 'DST'")
  })

  it('an extra argument is refused', async () => {
    expectUsageError(await runCli(['copy', 'a', 'b', 'c']), 'too many arguments')
  })

  it('a file:// URL with a host instead of an absolute path is a usage error, not a bug', async () => {
    const dir = await tempDir()
    for (const argv of [
      ['sync', dir, 'file://relative'],
      ['ls', 'file://relative'],
    ]) {
      const r = await runCli(argv)
      expectUsageError(r, 'not a local file URI: "file://relative"', 'file:///absolute/path')
      expect(r.stderr).not.toContain('internal error')
    }
  })

  // QA 29b: both were "takes an absolute path", of a URL that has one.
  it('a file:// URL with %2F or a stray % says which, and how to write it', async () => {
    const dir = await tempDir()
    const slash = await runCli(['sync', `file://${dir}/a%2Fb`, join(dir, 'out')])
    expectUsageError(slash, 'holds %2F, an encoded /', 'Write the / itself')
    const percent = await runCli(['ls', `file://${dir}/100%`])
    expectUsageError(percent, 'a % that is not followed by two hex digits', '%25')
    expect(slash.stderr + percent.stderr).not.toContain('takes an absolute path')
  })

  it("--exclude '!x' says to narrow the exclude, never to use --include (which cannot override it)", async () => {
    const r = await runCli(['sync', 'a', 'b', '--exclude', '!keep.log'])
    expectUsageError(r, 'narrow the --exclude pattern', 'an --include cannot override an --exclude')
    expect(r.stderr).not.toContain('or use --include')
  })

  it('an ordinary error with -v has no stack trace', async () => {
    const dir = await tempDir()
    const r = await runCli(['ls', join(dir, 'nope'), '-v'])
    expectUsageError(r, 'does not exist')
  })

  it('a flag of the commands given before the command says to give it after the command', async () => {
    const r = await runCli(['--plugin', './x.mjs', 'ls', 'json:///x.json'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("unknown option '--plugin'")
    expect(r.stderr).toMatch(
      /--plugin is a flag of the commands \(sync, copy, move, restore, check, ls, bisync, watch, ui\), not of syncflow itself: give it after the command, as in `syncflow ls … --plugin`/,
    )
    const v = await runCli(['-v', 'sync', 'a', 'b'])
    expect(v.code).toBe(2)
    expect(v.stderr).toContain('give it after the command, as in `syncflow sync … -v`')
    // A flag no command has gets no such hint; nor does one after the command (the command's own message).
    expect((await runCli(['--frobnicate', 'sync', 'a', 'b'])).stderr).not.toContain('after the command')
    expect((await runCli(['ls', 'x', '--delete-before'])).stderr).not.toContain('after the command')
  })

  // QA 32a: a sync's line with `sync` changed to `check` to preview it was told only "unknown option
  // '--max-delete'", as if syncflow had no such flag.
  it('a flag of other commands given to one that lacks it names the commands that take it', async () => {
    const c = await runCli(['check', 'a', 'b', '--max-delete', '10%'])
    expectUsageError(
      c,
      "unknown option '--max-delete'",
      '--max-delete is a flag of sync, bisync, watch and ui, not of `syncflow check` (check only compares',
    )
    expectUsageError(
      await runCli(['backup', 'a', 'b', '--delete-excluded']),
      '--delete-excluded is a flag of sync, watch and ui, not of `syncflow backup` (backup never deletes)',
    )
    expectUsageError(
      await runCli(['ls', 'a', '--bwlimit=1M']),
      '--bwlimit is a flag of sync, copy, move, restore, bisync, watch and ui',
    )
    // A flag no command has stays a plain unknown option.
    expect((await runCli(['check', 'a', 'b', '--frobnicate'])).stderr).not.toContain('is a flag of')
  })

  // QA 32a: `--exclude *.log` unquoted, in a directory holding a.log and b.log, was only "too many arguments".
  it('too many arguments after a pattern flag say that the shell may have expanded an unquoted pattern', async () => {
    for (const args of [
      ['sync', 'src', 'dst', '--exclude', 'a.log', 'b.log'],
      ['copy', '--include', 'a.log', 'b.log', 'src', 'dst'],
    ]) {
      const flag = args.find((a) => a.startsWith('--')) as string
      expectUsageError(
        await runCli(args),
        'too many arguments',
        `in ${flag} a.log b.log, b.log is taken as a location. Quote patterns (${flag} '*.log')`,
      )
    }
    expect((await runCli(['sync', 'a', 'b', 'c'])).stderr).not.toContain('Quote patterns')
  })

  it('an unknown command suggests the right one', async () => {
    expectUsageError(await runCli(['synk', 'a', 'b']), "unknown command 'synk'", 'sync')
    // (QA 32a: it sent the user to "syncflow <command> --help" for the flags, not to the commands.)
    expectUsageError(await runCli(['frobnicate']), "run 'syncflow --help' to see the commands")
  })

  // QA 29b: `help nosuch` printed the general help and exited 0, as if there were such a command.
  it('help for a command there is none of is a usage error, with the one meant', async () => {
    expectUsageError(await runCli(['help', 'synk']), "unknown command 'synk'", 'Did you mean sync?')
    expect((await runCli(['help', 'nosuch'])).stdout).toBe('')
    const known = await runCli(['help', 'backup'])
    expect(known.code).toBe(0)
    expect(known.stdout).toContain('Usage: syncflow copy|backup')
  })
})

describe('--config FILE', () => {
  it('a bad value in the file names the file, the key and the fix', async () => {
    const dir = await tempDir()
    const file = join(dir, 'syncflow.json')
    await writeFile(file, JSON.stringify({ concurrency: 'many' }))
    const r = await runCli(['sync', 'a', 'b', '--config', file])
    expectUsageError(r, file, '"concurrency"', 'whole number')
    await writeFile(file, JSON.stringify({ timeout: -1 }))
    expectUsageError(await runCli(['sync', 'a', 'b', '--config', file]), file, '"timeout"', 'number of seconds')
  })

  // QA 7 #12: [1, 2] was taken as 2, and [] as nothing, without a word.
  it.each([{ timeout: [1, 2] }, { timeout: [] }, { bwlimit: ['1M', '2M'] }, { 'max-delete': ['10%'] }])(
    'a list for a one-value key is refused: %j',
    async (config) => {
      const dir = await tempDir()
      const file = join(dir, 'syncflow.json')
      await writeFile(file, JSON.stringify(config))
      const key = Object.keys(config)[0]
      expectUsageError(await runCli(['sync', 'a', 'b', '--config', file]), file, `"${key}" takes one value, not a list`)
    },
  )

  it('a list for a repeatable key is taken', async () => {
    const dir = await tempDir()
    const file = join(dir, 'syncflow.json')
    await writeFile(file, JSON.stringify({ exclude: ['*.tmp', '*.bak'] }))
    await mkdir(join(dir, 'src'))
    await writeFile(join(dir, 'src', 'a.tmp'), 'x')
    await writeFile(join(dir, 'src', 'b.bak'), 'x')
    await writeFile(join(dir, 'src', 'c.txt'), 'x')
    const r = await runCli(['sync', join(dir, 'src'), join(dir, 'dst'), '--no-state', '--config', file])
    expect(r.code, r.stderr).toBe(0)
    expect(await readdir(join(dir, 'dst'))).toEqual(['c.txt'])
  })

  it('an unknown key is refused, listing the known ones', async () => {
    const dir = await tempDir()
    const file = join(dir, 'syncflow.json')
    await writeFile(file, JSON.stringify({ exclud: ['*.tmp'] }))
    expectUsageError(await runCli(['sync', 'a', 'b', '--config', file]), 'unknown key "exclud"', 'exclude')
  })

  // QA 10 #11: the list said maxDelete, dryRun and plugin (commander's names); "no-state" was refused.
  it('an unknown key gets the keys as the file spells them', async () => {
    const dir = await tempDir()
    const file = join(dir, 'syncflow.json')
    await writeFile(file, JSON.stringify({ 'max-delet': 3 }))
    const r = await runCli(['sync', 'a', 'b', '--config', file])
    expectUsageError(r, 'unknown key "max-delet"')
    const known = /Keys this command takes: (.*)\./.exec(r.stderr)?.[1]?.split(', ')
    expect(known).toEqual(expect.arrayContaining(['dry-run', 'max-delete', 'no-state', 'no-check-updated', 'plugins']))
    expect(known).not.toEqual(expect.arrayContaining(['config']))
    for (const key of known ?? []) expect(key).toMatch(/^[a-z0-9-]+$/)
  })

  it('"no-state": true is --no-state; a value that is not a boolean is refused', async () => {
    const dir = await tempDir()
    const file = join(dir, 'syncflow.json')
    await mkdir(join(dir, 'src'))
    await writeFile(join(dir, 'src', 'a.txt'), 'x')
    const stateDir = join(dir, 'state')
    const sync = (dst = 'dst') =>
      runCli(['sync', join(dir, 'src'), join(dir, dst), '--config', file], { env: { SYNCFLOW_STATE_DIR: stateDir } })
    await writeFile(file, JSON.stringify({ 'no-state': true }))
    const r = await sync()
    expect(r.code, r.stderr).toBe(0)
    expect(await readdir(join(dir, 'dst'))).toEqual(['a.txt'])
    const stores = async () => (await readdir(stateDir).catch(() => [])).filter((f) => f.endsWith('.sqlite'))
    expect(await stores()).toEqual([])
    // False is the flag not given: the state store is used.
    await writeFile(file, JSON.stringify({ 'no-state': false }))
    expect((await sync('dst2')).code).toBe(0)
    expect(await stores()).toHaveLength(1)
    await writeFile(file, JSON.stringify({ 'no-state': 'yes' }))
    expectUsageError(await sync(), file, '"no-state" must be true or false, not "yes"')
  })

  // QA 11 #8: "state": true was refused though "no-state": false was taken; a store and no store were taken silently.
  it('"state": true is the default state store; "state" with "no-state": true, or --state with --no-state, is refused', async () => {
    const dir = await tempDir()
    const file = join(dir, 'syncflow.json')
    await mkdir(join(dir, 'src'))
    await writeFile(join(dir, 'src', 'a.txt'), 'x')
    const stateDir = join(dir, 'state')
    const sync = (...flags: string[]) =>
      runCli(['sync', join(dir, 'src'), join(dir, 'dst'), ...flags], { env: { SYNCFLOW_STATE_DIR: stateDir } })
    await writeFile(file, JSON.stringify({ state: true }))
    const r = await sync('--config', file)
    expect(r.code, r.stderr).toBe(0)
    expect((await readdir(stateDir)).filter((f) => f.endsWith('.sqlite'))).toHaveLength(1)
    await writeFile(file, JSON.stringify({ state: 'st/', 'no-state': true }))
    expectUsageError(await sync('--config', file), file, '"state" and "no-state" both given')
    await writeFile(file, JSON.stringify({ 'no-state': true, state: true }))
    expectUsageError(await sync('--config', file), '"state" and "no-state" both given')
    expectUsageError(await sync('--state', 'memory:', '--no-state'), '--state "memory:" and --no-state both given')
    expectUsageError(await sync('--no-state', '--state', 'memory:'), '--state "memory:" and --no-state both given')
    // The command line wins over the file, as for every flag: no conflict.
    await writeFile(file, JSON.stringify({ state: 'memory:' }))
    expect((await sync('--config', file, '--no-state')).code).toBe(0)
  })

  it('a "config" key is refused: a file does not name another', async () => {
    const dir = await tempDir()
    const file = join(dir, 'syncflow.json')
    await writeFile(file, JSON.stringify({ config: 'x.json' }))
    expectUsageError(await runCli(['sync', 'a', 'b', '--config', file]), file, '"config" cannot be a key')
    expectUsageError(await runCli(['ls', 'a', '--config', file]), file, '"config" cannot be a key')
  })

  it('a file that is not JSON is refused', async () => {
    const dir = await tempDir()
    const file = join(dir, 'syncflow.json')
    await writeFile(file, 'concurrency = 4')
    expectUsageError(await runCli(['sync', 'a', 'b', '--config', file]), `cannot read config file ${file}`)
  })

  // QA 30f: a file saved with a UTF-8 byte order mark (Notepad, PowerShell 5's Set-Content -Encoding
  // UTF8) was refused with "Unexpected token '\uFEFF'", a character no editor shows; Node's require()
  // and npm read such a JSON file.
  it('a JSON file that starts with a UTF-8 byte order mark is read', async () => {
    const dir = await tempDir()
    const file = join(dir, 'syncflow.json')
    await mkdir(join(dir, 'src'))
    await writeFile(join(dir, 'src', 'a.tmp'), 'x')
    await writeFile(join(dir, 'src', 'b.txt'), 'y')
    await writeFile(file, `\uFEFF${JSON.stringify({ exclude: ['*.tmp'], 'no-state': true })}`)
    const r = await runCli(['sync', join(dir, 'src'), join(dir, 'dst'), '--config', file, '-q'])
    expect(r.code, r.stderr).toBe(0)
    expect(await readdir(join(dir, 'dst'))).toEqual(['b.txt'])
  })

  // QA 30f: a UTF-16 file (PowerShell's >) was refused with "Unexpected token" of a garbled character and the file
  // quoted with NULs, not what it is.
  it('a UTF-16 file is refused as not UTF-8, saying how to convert it', async () => {
    const dir = await tempDir()
    const file = join(dir, 'syncflow.json')
    await writeFile(file, Buffer.from(`\uFEFF${JSON.stringify({ 'no-state': true })}`, 'utf16le'))
    expectUsageError(
      await runCli(['sync', 'a', 'b', '--config', file]),
      `cannot read config file ${file}: not UTF-8 text (UTF-16`,
      'iconv -f UTF-16 -t UTF-8',
    )
  })
})

describe('--bwlimit', () => {
  it('takes rclone spellings (Ki, Mi, Gi) and warns once about a bare number below 64k (bytes/s here, KiB/s in rsync)', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'f'), 'x')
    const src = dir
    const run = (...flags: string[]) =>
      runCli(['sync', src, join(dir, '..', `${dir.split('/').pop()}-dst`), '--no-state', '-q', ...flags])
    const mi = await run('--bwlimit', '10Mi')
    expect(mi.code, mi.stderr).toBe(0)
    expect(mi.stderr).toBe('')
    const bare = await run('--bwlimit', '1000', '--bwlimit', '900')
    expect(bare.code, bare.stderr).toBe(0)
    expect(bare.stderr.match(/syncflow: warning/g)).toHaveLength(1)
    expect(bare.stderr).toContain('--bwlimit 1000 is 1000 bytes/s; rsync and rclone read a bare number as KiB/s')
    expect(bare.stderr).toContain('write 1000k if you meant that')
    for (const quiet of ['1000B', '100000', '64k', '0']) expect((await run('--bwlimit', quiet)).stderr).toBe('')
  })
})

describe("one --config file for all of a job's commands", () => {
  it("keys of another command's flags are left out (said with -v), unknown keys still refused", async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'f.txt'), 'x')
    const file = join(dir, 'job.json')
    await writeFile(file, JSON.stringify({ exclude: ['*.tmp'], 'max-delete': '10%', 'delete-excluded': true }))
    const check = await runCli(['check', dir, dir, '--config', file, '-v'])
    expect(check.stderr).not.toContain('unknown key')
    expect(check.stderr).toContain('"max-delete", "delete-excluded" left out: only other commands take them')
    const ls = await runCli(['ls', dir, '--config', file])
    expect(ls.code, ls.stderr).toBe(0)
    expect(ls.stderr).toBe('')
    expect(ls.stdout).toContain('f.txt')
    await writeFile(file, JSON.stringify({ exclude: ['*.tmp'], 'max-delet': 3 }))
    expectUsageError(await runCli(['ls', dir, '--config', file]), 'unknown key "max-delet"')
  })
})

describe('usage errors with --json', () => {
  /** stdout as NDJSON: every line must parse. */
  const lines = (stdout: string) =>
    stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { type: string; summary?: Record<string, unknown> })

  it('a job command still ends its NDJSON with a done event carrying the USAGE error', async () => {
    const r = await runCli(['copy', 'a', 'b', '--json', '--bogus'])
    expect(r.code).toBe(2)
    const events = lines(r.stdout)
    expect(events).toHaveLength(1)
    expect(events[0]?.type).toBe('done')
    expect(events[0]?.summary?.mode).toBe('copy')
    expect(events[0]?.summary?.fatal).toMatchObject({ code: 'USAGE', message: "unknown option '--bogus'" })
    expect(r.stderr).toContain("unknown option '--bogus'")
    // Another tool's flag: the hint says what to do instead.
    const rsync = await runCli(['sync', 'a', 'b', '--json', '--delete'])
    expect(rsync.code).toBe(2)
    const [done] = lines(rsync.stdout)
    expect(done?.summary?.fatal).toMatchObject({ code: 'USAGE', message: "unknown option '--delete'" })
    expect(JSON.stringify(done?.summary?.fatal)).toContain('drop --delete')
  })

  it('so does --json given before the command (refused there), with the hint to move it', async () => {
    const r = await runCli(['--json', 'check', 'a', 'b'])
    expect(r.code).toBe(2)
    const events = lines(r.stdout)
    expect(events).toHaveLength(1)
    expect(events[0]?.summary).toMatchObject({
      mode: 'check',
      fatal: { code: 'USAGE', message: "unknown option '--json'" },
    })
    expect(JSON.stringify(events[0]?.summary?.fatal)).toContain('give it after the command')
    const ls = await runCli(['--json', 'ls', 'x'])
    expect(ls.code).toBe(2)
    expect(JSON.parse(ls.stdout.trim())).toMatchObject({ fatal: { code: 'USAGE' } })
  })

  it('so does a bad --config file, with the hint of the flag', async () => {
    const dir = await tempDir()
    const file = join(dir, 'syncflow.json')
    await writeFile(file, JSON.stringify({ concurrency: 'many' }))
    const r = await runCli(['sync', 'a', 'b', '--json', '--dry-run', '--config', file])
    expect(r.code).toBe(2)
    const [done] = lines(r.stdout)
    expect(done?.summary).toMatchObject({ mode: 'mirror', dryRun: true, fatal: { code: 'USAGE' } })
    expect(JSON.stringify(done?.summary?.fatal)).toContain('whole number')
  })

  it("check's done says mode check, for a usage error and for a job that could not start", async () => {
    const dir = await tempDir()
    for (const argv of [
      ['check', 'a', 'b', '--json', '--bogus'],
      ['check', join(dir, 'nope'), join(dir, 'b'), '--json'],
    ]) {
      const r = await runCli(argv)
      expect(r.code).toBe(2)
      const [done] = lines(r.stdout)
      expect(done?.summary).toMatchObject({ mode: 'check', dryRun: true })
    }
  })

  it('commands without --json print nothing on stdout', async () => {
    const r = await runCli(['sync', 'a', 'b', '--bogus'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
  })

  // QA 23 #8: a fatal `ls --json` printed nothing on stdout, so a script had to scrape stderr.
  it('ls --json (entries, not events) ends with one {"fatal": …} line: a usage error, a missing location', async () => {
    const dir = await tempDir()
    const usage = await runCli(['ls', 'x', '--json', '--bogus'])
    expect(usage.code).toBe(2)
    expect(lines(usage.stdout)).toEqual([
      {
        fatal: {
          code: 'USAGE',
          message: "unknown option '--bogus'",
          hint: "Run 'syncflow ls --help' to see the flags.",
        },
      },
    ])
    const missing = await runCli(['ls', join(dir, 'nope'), '--json'])
    expect(missing.code).toBe(2)
    expect(lines(missing.stdout)).toEqual([
      {
        fatal: {
          code: 'NOT_FOUND',
          message: `${JSON.stringify(join(dir, 'nope'))} does not exist`,
          hint: expect.any(String),
        },
      },
    ])
    expect(missing.stderr).toContain('does not exist')
    // A listing that works prints its entries only.
    await writeFile(join(dir, 'a.txt'), 'a')
    const ok = await runCli(['ls', dir, '--json'])
    expect(ok.code).toBe(0)
    expect(lines(ok.stdout)).toEqual([expect.objectContaining({ path: 'a.txt', kind: 'file' })])
  })

  // QA 23 #8: its `done` said mode `mirror` when the job could not start, `watch` when it ran.
  it("watch's done says mode watch, for a usage error and for a job that could not start", async () => {
    const dir = await tempDir()
    for (const argv of [
      ['watch', 'a', 'b', '--json', '--mode', 'copy', '--bogus'],
      ['watch', join(dir, 'nope'), join(dir, 'b'), '--json'],
    ]) {
      const r = await runCli(argv)
      expect(r.code).toBe(2)
      const [done] = lines(r.stdout)
      expect(done?.summary).toMatchObject({ mode: 'watch', fatal: { code: expect.any(String) } })
    }
  })
})

// QA 23 #6: flags only grpc:// or s3:// locations read passed without a word beside two local paths
// (`--token-file /nonexistent` too): a mistyped `grpc//host:port/x` is a local path.
// QA 32a: `--include src/a` for a source `src` matched nothing, and the run said only "nothing to do", exit 0.
describe("a pattern that starts with the source's own name or path", () => {
  it('is warned of with the pattern to write, and not where the source holds that name', async () => {
    const base = await tempDir()
    await mkdir(join(base, 'src', 'a'), { recursive: true })
    await writeFile(join(base, 'src', 'a', 'f'), 'f')
    const cwd = { cwd: base, env: { SYNCFLOW_STATE_DIR: join(base, 'state') } }
    const r = await runCli(
      ['check', 'src', 'dst', '--include', 'src/a', '--exclude', join(base, 'src', 'a', 'x'), '--filter', '- src/a/y'],
      cwd,
    )
    expect(r.stderr).toContain(
      'syncflow: warning: --exclude ' +
        `${join(base, 'src', 'a', 'x')} matches nothing: a pattern is relative to the source root, and src holds no "${base.split('/')[1]}": write --exclude /a/x`,
    )
    expect(r.stderr).toContain(
      'syncflow: warning: --include src/a matches nothing: a pattern is relative to the source root, and src holds no "src": write --include /a',
    )
    expect(r.stderr).toContain(
      `syncflow: warning: --filter '- src/a/y' matches nothing: a pattern is relative to the source root, and src holds no "src": write --filter '- /a/y'`,
    )
    // restore's source is its second location; a source that holds a directory of its own name is none of this.
    await mkdir(join(base, 'src', 'src'))
    const held = await runCli(['restore', 'dst', 'src', '-n', '--include', 'src/a', '--include', '/a'], cwd)
    expect(held.code, held.stderr).toBe(0)
    expect(held.stderr).not.toContain('warning')
  })
})

describe('a flag no location of the command reads', () => {
  it('is said to be ignored, once each, on the command line only; the run goes on', async () => {
    const base = await tempDir()
    await mkdir(join(base, 'src'))
    await writeFile(join(base, 'src', 'a'), 'a')
    const env = { SYNCFLOW_STATE_DIR: join(base, 'state') }
    const r = await runCli(
      [
        'sync',
        join(base, 'src'),
        join(base, 'dst'),
        '-q',
        '--token',
        'x',
        '--ca-file',
        '/nonexistent',
        '--timeout',
        '5',
      ],
      { env },
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr.trim().split('\n')).toEqual([
      'syncflow: warning: --token is read by grpc:// locations only, and this command has none: ignored',
      'syncflow: warning: --ca-file is read by grpcs:// locations only, and this command has none: ignored',
      'syncflow: warning: --timeout is read by grpc:// and s3:// locations only, and this command has none: ignored',
    ])
    // A config file serves all of a job's commands: its keys are not warned about.
    await writeFile(join(base, 'job.json'), JSON.stringify({ token: 'x', 's3-endpoint': 'http://127.0.0.1:9' }))
    const c = await runCli(['ls', join(base, 'src'), '--config', join(base, 'job.json')], { env })
    expect(c.code, c.stderr).toBe(0)
    expect(c.stderr).toBe('')
    // A --backup-dir is a location too: an s3:// one reads --s3-endpoint (here it is asked, and refused:
    // no credentials, exit 2, and no warning).
    const b = await runCli(
      [
        'sync',
        join(base, 'src'),
        join(base, 'dst'),
        '-n',
        '-q',
        '--backup-dir',
        's3://b/old',
        '--s3-endpoint',
        'http://127.0.0.1:9',
      ],
      { env },
    )
    expect(b.code, b.stderr).toBe(2)
    expect(b.stderr).not.toContain('warning')
    expect(b.stderr).toContain('--backup-dir "s3://b/old"')
  })

  it('-x with a source that is not a local directory says it changes nothing (restore: its DST is the source)', async () => {
    const base = await tempDir()
    const env = { SYNCFLOW_STATE_DIR: join(base, 'state') }
    const says = (uri: string) =>
      `syncflow: warning: --one-file-system applies to a local source only, and ${uri} is not one: ignored`
    const r = await runCli(['check', 'grpc://127.0.0.1:9/x', join(base, 'dst'), '-x', '--contimeout', '1'], { env })
    expect(r.stderr.split('\n')[0]).toBe(says('grpc://127.0.0.1:9/x'))
    const back = await runCli(['restore', join(base, 'dst'), 'grpc://127.0.0.1:9/y', '-x', '--contimeout', '1'], {
      env,
    })
    expect(back.stderr.split('\n')[0]).toBe(says('grpc://127.0.0.1:9/y'))
    const local = await runCli(
      ['restore', 'grpc://127.0.0.1:9/z', join(base, 'dst'), '-x', '-n', '--contimeout', '1'],
      {
        env,
      },
    )
    expect(local.stderr).not.toContain('--one-file-system')
    // A file:// source is local (review 24 #8).
    await mkdir(join(base, 'here'))
    await writeFile(join(base, 'here', 'f'), 'f')
    const file = await runCli(['sync', `file://${join(base, 'here')}`, join(base, 'out'), '-x', '-n'], { env })
    expect(file.code, file.stderr).toBe(0)
    expect(file.stderr).not.toContain('--one-file-system')
  })
})

// QA 25a #2: Node decodes an argument that is not UTF-8 with U+FFFD, which names another path: the
// target dst\xe9 was made and filled as dst\xef\xbf\xbd beside it, and such a source "did not exist".
describe('a location given in bytes that are not UTF-8', () => {
  /** Runs the binary through sh, so that printf can put the raw bytes into its arguments. */
  const runWithBytes = (script: string, cwd: string) => runCli([], { cwd, script })

  it('is refused, naming its bytes, and nothing is made under its lossy decoding', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'src'))
    await writeFile(join(dir, 'src', 'a'), 'a')
    const env = `SYNCFLOW_STATE_DIR=${JSON.stringify(join(dir, 'state'))}`
    const target = await runWithBytes(`${env} exec "$0" "$1" sync src "$(printf 'dst\\351')"`, dir)
    expectUsageError(target, 'the target', '(its bytes: dst\\xe9)')
    const backup = await runWithBytes(`${env} exec "$0" "$1" copy src out --backup-dir="$(printf 'old\\351')"`, dir)
    expectUsageError(backup, '--backup-dir', '(its bytes: old\\xe9)')
    const state = await runWithBytes(`exec "$0" "$1" copy src out --state "$(printf 'state\\351')"`, dir)
    expectUsageError(state, '--state', '(its bytes: state\\xe9)')
    await mkdir(Buffer.from(`${dir}/src\xe9`, 'latin1'))
    const source = await runWithBytes(`${env} exec "$0" "$1" sync "$(printf 'src\\351')" out`, dir)
    expectUsageError(source, 'the source', '(its bytes: src\\xe9)')
    const ls = await runWithBytes(`exec "$0" "$1" ls "$(printf 'src\\351')"`, dir)
    expectUsageError(ls, 'the location', '(its bytes: src\\xe9)')
    expect((await readdir(dir)).sort()).toEqual(['src', 'src\ufffd'])
    // A name that holds U+FFFD itself is UTF-8, and an ordinary location.
    const ok = await runWithBytes(`${env} exec "$0" "$1" sync src "$(printf 'ok\\357\\277\\275')" -q`, dir)
    expect(ok, ok.stderr).toMatchObject({ code: 0 })
    expect(await readdir(join(dir, 'ok\ufffd'))).toEqual(['a'])
  })

  // QA 29b: a pattern typed in a Latin-1 terminal came with U+FFFD for its byte, matched no name,
  // and what it named was synced without a word.
  it('an --exclude or --include pattern is refused too, naming its bytes, and nothing runs', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'src'))
    await writeFile(join(dir, 'src', 'café.key'), 'k')
    const env = `SYNCFLOW_STATE_DIR=${JSON.stringify(join(dir, 'state'))}`
    const exclude = await runWithBytes(`${env} exec "$0" "$1" sync src out --exclude "$(printf 'caf\\351*')"`, dir)
    expectUsageError(exclude, '--exclude', '(its bytes: caf\\xe9*)', 'would match no name')
    const include = await runWithBytes(`${env} exec "$0" "$1" copy src out "--include=$(printf '\\351*')"`, dir)
    expectUsageError(include, '--include', '(its bytes: \\xe9*)')
    expect(await readdir(dir)).toEqual(['src'])
  })

  // QA 30b: a --suffix so given came with U+FFFD for its byte, and every file was kept under that
  // other name (a.txt.\xef\xbf\xbd), without a word.
  it('a --suffix is refused too, naming its bytes, and nothing is kept or replaced', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'src'))
    await mkdir(join(dir, 'dst'))
    await writeFile(join(dir, 'src', 'a.txt'), 'new, longer')
    await writeFile(join(dir, 'dst', 'a.txt'), 'old')
    const env = `SYNCFLOW_STATE_DIR=${JSON.stringify(join(dir, 'state'))}`
    const r = await runWithBytes(
      `${env} exec "$0" "$1" sync src dst --backup-dir bak --suffix "$(printf '.\\351')"`,
      dir,
    )
    expectUsageError(r, '--suffix', '(its bytes: .\\xe9)')
    expect((await readdir(dir)).sort()).toEqual(['dst', 'src'])
    expect(await readFile(join(dir, 'dst', 'a.txt'), 'utf8')).toBe('old')
  })

  // QA 25a #4: a relative location is resolved from process.cwd(), the lossy decoding of a current
  // directory whose path is not UTF-8: the run made cw\xef\xbf\xbd/dst anew and wrote there.
  it('a relative location in a current directory whose path is not UTF-8 is refused', async () => {
    const dir = await tempDir()
    const cwd = Buffer.from(`${dir}/cw\xe9`, 'latin1')
    await mkdir(Buffer.concat([cwd, Buffer.from('/src')]), { recursive: true })
    await writeFile(Buffer.concat([cwd, Buffer.from('/src/a')]), 'a')
    const env = `SYNCFLOW_STATE_DIR=${JSON.stringify(join(dir, 'state'))}`
    const r = await runWithBytes(`cd "$(printf 'cw\\351')" && ${env} exec "$0" "$1" sync src dst`, dir)
    expectUsageError(r, 'the source "src" is relative to the current directory', 'cw\\xe9')
    const ls = await runWithBytes(`cd "$(printf 'cw\\351')" && exec "$0" "$1" ls src`, dir)
    expectUsageError(ls, 'the location "src"')
    expect((await readdir(dir)).sort()).toEqual(['cw\ufffd'])
    // Absolute locations are what they say, from there too.
    await mkdir(join(dir, 'plain'))
    await writeFile(join(dir, 'plain', 'a'), 'a')
    const [plain, out] = [JSON.stringify(join(dir, 'plain')), JSON.stringify(join(dir, 'out'))]
    const absolute = await runWithBytes(
      `cd "$(printf 'cw\\351')" && ${env} exec "$0" "$1" sync ${plain} ${out} -q`,
      dir,
    )
    expect(absolute, absolute.stderr).toMatchObject({ code: 0 })
    expect(await readdir(join(dir, 'out'))).toEqual(['a'])
  })

  // QA 25d: a current directory deleted since the shell entered it: process.cwd() throws, and every
  // run, absolute paths and no plugin too, ended as "internal error … a bug in syncflow".
  it('a current directory deleted since is a usage error for a relative path, nothing for absolute ones', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'plain'))
    await writeFile(join(dir, 'plain', 'a'), 'a')
    const env = `SYNCFLOW_STATE_DIR=${JSON.stringify(join(dir, 'state'))}`
    const [plain, out] = [JSON.stringify(join(dir, 'plain')), JSON.stringify(join(dir, 'out'))]
    const inGone = (command: string) => runWithBytes(`mkdir gone && cd gone && rmdir ../gone && ${env} ${command}`, dir)
    const absolute = await inGone(`exec "$0" "$1" sync ${plain} ${out} -q`)
    expect(absolute, absolute.stderr).toMatchObject({ code: 0 })
    expect(await readdir(join(dir, 'out'))).toEqual(['a'])
    const relative = await inGone(`exec "$0" "$1" sync ${plain} dst`)
    expectUsageError(relative, 'the current directory no longer exists', 'give every location')
    expect(relative.stderr).not.toContain('bug')
  })

  // QA 25a #3: the same through a symlink given in UTF-8 (its real path would name another directory).
  it('a target that leads to such a path is refused before the run', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'src'))
    await writeFile(join(dir, 'src', 'a'), 'a')
    await mkdir(Buffer.from(`${dir}/real\xe9`, 'latin1'))
    await mkdir(join(dir, 'real\ufffd'))
    await symlink(Buffer.from(`real\xe9`, 'latin1'), join(dir, 'link'))
    const r = await runCli(['sync', 'src', 'link'], { cwd: dir, env: { SYNCFLOW_STATE_DIR: join(dir, 'state') } })
    expectUsageError(r, 'leads to', 'real\\xe9')
    expect(await readdir(join(dir, 'real\ufffd'))).toEqual([])
  })
})

// QA 27d: a list flag's file was read whole before a line of it was looked at: --exclude-from
// /dev/zero never ended, the process growing by ~60 MB a second until it ran out of memory.
describe('a --exclude-from, --include-from or --files-from file with a line no pattern or path has', () => {
  it.each(['--exclude-from', '--include-from', '--files-from'])('%s /dev/zero is refused at once', async (flag) => {
    const src = await tempDir()
    const r = startCli(['sync', src, join(src, '..', 'never-made'), flag, '/dev/zero'])
    const exited = await exitedWithin(r, 15_000)
    if (exited === undefined) r.child.kill('SIGKILL')
    expect(exited?.code, r.stderr()).toBe(2)
    expect(r.stderr()).toContain(
      `'${flag} <FILE>' argument '/dev/zero' is invalid. "/dev/zero" has a line longer than 64 KiB`,
    )
  })

  it('a regular file with such a line is refused too; one of long paths is read', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'list'), `a\n${'x'.repeat(70_000)}\nb\n`)
    expectUsageError(
      await runCli(['sync', dir, join(dir, '..', 'never-made'), '--files-from', join(dir, 'list')]),
      '--files-from',
      'has a line longer than 64 KiB',
    )
    await writeFile(join(dir, 'list'), `${'d/'.repeat(2000)}f\n`.repeat(100))
    const r = await runCli([
      'sync',
      dir,
      join(dir, '..', 'made'),
      '--files-from',
      join(dir, 'list'),
      '-n',
      '--no-state',
    ])
    expect(r.stderr).not.toContain('64 KiB')
  })
})

// QA 27d: --config and --token-file were read whole too: --config /dev/zero never ended, and
// --token-file /dev/zero read hundreds of MB before it failed.
describe('a --config or --token-file that is no such file', () => {
  it.each([
    ['--config', ['sync', '<src>', '<dst>', '--config', '/dev/zero'], 'larger than 16 MiB: not a config file'],
    [
      '--token-file (client)',
      ['ls', 'grpc://127.0.0.1:9/x', '--token-file', '/dev/zero'],
      '--token-file /dev/zero: no line ends in its first 64 KiB',
    ],
    [
      '--token-file (serve)',
      ['serve', '--root', '<src>', '--listen', '127.0.0.1:0', '--token-file', '/dev/zero'],
      '--token-file /dev/zero: no line ends in its first 64 KiB',
    ],
  ])('%s /dev/zero is refused at once', async (_, args, message) => {
    const src = await tempDir()
    const r = startCli(args.map((a) => (a === '<src>' ? src : a === '<dst>' ? join(src, '..', 'never-made') : a)))
    const exited = await exitedWithin(r, 15_000)
    if (exited === undefined) r.child.kill('SIGKILL')
    expect(exited?.code, r.stderr()).toBe(2)
    expect(r.stderr()).toContain(message)
  })

  it('a token file of one line with no line break is read', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'token'), 'é-not-ascii')
    const r = await runCli(['ls', 'grpc://127.0.0.1:9/x', '--token-file', join(dir, 'token')])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('the token has a character a header cannot carry')
  })
})
