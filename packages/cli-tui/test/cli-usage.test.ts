import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, REPO, runCli, tempDir } from './helpers/cli.js'

// The built binary, run as a child process: help, version, and every way to get the flags wrong.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

/** A usage mistake: exit 2, one clear message on stderr, nothing on stdout, no stack trace. */
function expectUsageError(r: { code: number | null; stdout: string; stderr: string }, ...mentions: string[]): void {
  expect(r.code, r.stderr).toBe(2)
  expect(r.stdout).toBe('')
  expect(r.stderr).toMatch(/^syncflow: /)
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
  for (const m of mentions) expect(r.stderr).toContain(m)
}

describe('help and version', () => {
  it('--version prints the package version', async () => {
    const { version } = (await import(join(REPO, 'packages/cli-tui/package.json'), { with: { type: 'json' } }))
      .default as { version: string }
    const r = await runCli(['--version'])
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' })
  })

  it('--help lists every command, the later ones marked as not available yet', async () => {
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
      '--quiet',
      '--verbose',
      '--config',
    ]) {
      expect(r.stdout).toContain(flag)
    }
  })

  it('ls --help describes its --json output as entries, not SyncEvents', async () => {
    const r = await runCli(['ls', '--help'])
    expect(r.code).toBe(0)
    const json = r.stdout.slice(r.stdout.indexOf('--json'), r.stdout.indexOf('--symlinks'))
    expect(json).toContain('JSON entry per line')
    expect(json).not.toContain('SyncEvents')
  })

  it('no command at all is a usage error that shows the help', async () => {
    const r = await runCli([])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Usage: syncflow')
  })
})

describe('not available yet', () => {
  it.each([['bisync', 'a', 'b']])('%s exits 2 with a message', async (...args) => {
    const r = await runCli(args)
    expectUsageError(r, `"${args[0]}" is not available yet`)
  })
})

describe('serve', () => {
  it('needs --root and --listen', async () => {
    const r = await runCli(['serve', '--root', '.'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--listen')
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
      ['--symlinks', 'sometimes'],
      ["'--symlinks <POLICY>'", "'sometimes'", 'skip, follow, preserve'],
    ],
    [
      ['--s3-endpoint', 'ftp://x'],
      ["'--s3-endpoint <URL>'", 'http://'],
    ],
    [
      ['--exclude', ''],
      ["'--exclude <PATTERN>'", 'glob'],
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

  it('a missing argument names it', async () => {
    expectUsageError(await runCli(['sync', 'only-one']), "missing required argument 'DST'")
  })

  it('an extra argument is refused', async () => {
    expectUsageError(await runCli(['copy', 'a', 'b', 'c']), 'too many arguments')
  })

  it('an unknown command suggests the right one', async () => {
    expectUsageError(await runCli(['synk', 'a', 'b']), "unknown command 'synk'", 'sync')
  })
})

describe('--config FILE', () => {
  it('a bad value in the file names the file, the key and the fix', async () => {
    const dir = await tempDir()
    const file = join(dir, 'syncflow.json')
    await writeFile(file, JSON.stringify({ concurrency: 'many' }))
    const r = await runCli(['sync', 'a', 'b', '--config', file])
    expectUsageError(r, file, '"concurrency"', 'whole number')
  })

  it('an unknown key is refused, listing the known ones', async () => {
    const dir = await tempDir()
    const file = join(dir, 'syncflow.json')
    await writeFile(file, JSON.stringify({ exclud: ['*.tmp'] }))
    expectUsageError(await runCli(['sync', 'a', 'b', '--config', file]), 'unknown key "exclud"', 'exclude')
  })

  it('a file that is not JSON is refused', async () => {
    const dir = await tempDir()
    const file = join(dir, 'syncflow.json')
    await writeFile(file, 'concurrency = 4')
    expectUsageError(await runCli(['sync', 'a', 'b', '--config', file]), `cannot read config file ${file}`)
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

  it('ls --json (entries, not events) and commands without --json print nothing on stdout', async () => {
    for (const argv of [
      ['ls', 'x', '--json', '--bogus'],
      ['sync', 'a', 'b', '--bogus'],
    ]) {
      const r = await runCli(argv)
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
    }
  })
})
