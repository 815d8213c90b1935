import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { equivalentCommand, noTerminalMessage, shellQuote } from '../../src/commands/ui.js'

// What `syncflow ui` suggests without a terminal: the same job, as `watch`, `sync` or `copy`.
const line = (argv: string[], flags: { watch?: boolean; mode?: 'mirror' | 'copy'; bisync?: boolean } = {}) =>
  equivalentCommand(argv, argv.at(-2) ?? '', argv.at(-1) ?? '', flags)?.line

describe('shellQuote', () => {
  it('leaves plain words alone and quotes the rest', () => {
    expect(shellQuote('u2/src')).toBe('u2/src')
    expect(shellQuote('s3://bucket/a-b_c.d')).toBe('s3://bucket/a-b_c.d')
    expect(shellQuote('u2/src dir')).toBe("'u2/src dir'")
    expect(shellQuote('*.tmp')).toBe("'*.tmp'")
    expect(shellQuote("it's")).toBe("'it'\\''s'")
    expect(shellQuote('')).toBe("''")
    expect(shellQuote('$HOME')).toBe("'$HOME'")
  })

  // QA 27a: `ui PATH DST | cat` printed the suggestion with the path's ESC and BEL raw on the terminal.
  it("writes a word with control characters in $'…', each one visible, the same word to bash", () => {
    const word = "esc\u001b]0;T\u0007 it's\\x\u0085"
    const quoted = shellQuote(word)
    expect(quoted).toBe("$'esc\\x1b]0;T\\x07 it\\'s\\\\x\\u0085'")
    expect(quoted).not.toMatch(/[^\x20-\x7e]/)
    const echoed = spawnSync('bash', ['-c', `printf %s ${quoted}`], { encoding: 'utf8', env: { LC_ALL: 'C.UTF-8' } })
    expect(echoed.stdout).toBe(word)
  })
})

describe('equivalentCommand', () => {
  it('is bisync for --bisync (the flag left out), and watch --bisync with --watch (kept)', () => {
    expect(line(['ui', '--bisync', '--conflict', 'newer', 'a', 'b'], { bisync: true })).toBe(
      'syncflow bisync --conflict newer a b',
    )
    expect(line(['ui', '-w', '--bisync', 'a', 'b'], { watch: true, bisync: true })).toBe('syncflow watch --bisync a b')
  })

  it('is watch for --watch (the flag left out), every other flag in its place', () => {
    const argv = ['ui', '--watch', '--mode', 'copy', '--exclude', '*.tmp', '--debounce', '500', 'u2/src', 'u2/dst']
    expect(line(argv, { watch: true, mode: 'copy' })).toBe(
      "syncflow watch --mode copy --exclude '*.tmp' --debounce 500 u2/src u2/dst",
    )
    expect(line(['ui', '-nwc', 'a', 'b'], { watch: true })).toBe('syncflow watch -nc a b')
    expect(line(['ui', '-w', 'a', 'b'], { watch: true })).toBe('syncflow watch a b')
  })

  it('is sync otherwise, dry run kept, paths quoted', () => {
    expect(line(['ui', '--dry-run', '--checksum', 'u2/src dir', 'u2/dst'])).toBe(
      "syncflow sync --dry-run --checksum 'u2/src dir' u2/dst",
    )
    expect(line(['ui', '--mode', 'mirror', '-n', 'a', 'b'], { mode: 'mirror' })).toBe('syncflow sync -n a b')
  })

  it('is copy for --mode copy (sync takes no --mode), without the delete-only flags', () => {
    expect(line(['ui', '--mode=copy', '--max-delete', '5', '-n', 'a', 'b'], { mode: 'copy' })).toBe(
      'syncflow copy -n a b',
    )
  })

  it('takes a flag value that looks like a flag as the value, and keeps what follows --', () => {
    expect(line(['ui', '--exclude', '--watch', '--', '-src', 'b'])).toBe('syncflow sync --exclude --watch -- -src b')
  })

  it('names the flags only watch takes, and leaves out those that do nothing in one sync', () => {
    const argv = ['ui', '--metrics', '127.0.0.1:9100', '--rescan', '1h', '--debounce', '9', 'a', 'b']
    expect(equivalentCommand(argv, 'a', 'b', {})).toEqual({ line: 'syncflow sync a b', dropped: ['--metrics'] })
    expect(noTerminalMessage(argv, 'a', 'b', {})).toContain(
      '(`sync` has no --metrics: only `syncflow watch` takes it.)',
    )
  })

  it('says nothing about flags it could not read from the command line', () => {
    expect(equivalentCommand(['vitest', 'run'], 'a', 'b', {})).toBeUndefined()
    expect(equivalentCommand(['ui', 'x', 'y'], 'a', 'b', {})).toBeUndefined()
    expect(noTerminalMessage(['vitest'], 'a', 'b', { watch: true })).toContain(
      'Run `syncflow watch` with the same flags and locations instead',
    )
  })
})
