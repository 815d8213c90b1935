import { Option } from 'commander'
import { EXIT, type ExitCode } from '../errors/exit-codes.js'
import { CONTINUOUS_FLAGS, FLAG_TABLE } from '../options/flag-table.js'
import { shellQuote } from '../output/shell-quote.js'
import type { Streams } from '../output/streams.js'
import { WATCH_OPTIONS, type WatchFlags } from './watch.js'

/** Flags of `ui`: those of `sync` and of `watch`, and `--watch`. */
export interface UiFlags extends WatchFlags {
  /** Run a continuous job (as `watch`) instead of one sync. */
  readonly watch?: boolean
}

/** The flag `ui` adds to those of `watch`. */
export const UI_OPTIONS: readonly (() => Option)[] = [
  () => new Option('-w, --watch', 'keep DST in step continuously, as `syncflow watch` does'),
]

/** True when NO_COLOR asks for no colors (https://no-color.org: set and not empty). */
export function noColor(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.NO_COLOR ?? '') !== ''
}

export { shellQuote } from '../output/shell-quote.js'

/** The command line `ui` stands for, without a terminal: what to run instead. */
export interface EquivalentCommand {
  /** `syncflow watch …`, `syncflow sync …` or `syncflow copy …`, each word shell-quoted. */
  readonly line: string
  /** Flags of `ui` the suggested command has no equivalent for (e.g. `--metrics` without `--watch`). */
  readonly dropped: readonly string[]
}

/**
 * The command that does what `ui` was asked to do, from `ui`'s own words (`argv` after the program
 * name, as typed): `watch` for `--watch` (that flag left out), else `copy` for `--mode copy` and
 * `sync` otherwise (neither takes `--mode`); every other flag and argument kept in its place, as
 * written. Flags that only a continuous job takes are left out of `sync`/`copy` (`--debounce`,
 * `--rescan` and `--poll-interval` do nothing there anyway; `--webhook` and `--metrics` are named in `dropped`), and so
 * are the delete-only flags of `copy` (it never deletes). Undefined when `argv` is not a `ui`
 * command line for `source` and `target` (then nothing can be told about its flags).
 */
export function equivalentCommand(
  argv: readonly string[],
  source: string,
  target: string,
  flags: Pick<UiFlags, 'watch' | 'mode' | 'bisync'>,
): EquivalentCommand | undefined {
  const start = argv.indexOf('ui')
  if (start < 0) return undefined
  const watch = flags.watch === true
  const command = commandOf(flags)
  const options = [...CONTINUOUS_FLAGS.map((name) => FLAG_TABLE[name]), ...UI_OPTIONS, ...WATCH_OPTIONS].map((make) =>
    make(),
  )
  const byName = new Map<string, Option>()
  for (const o of options) {
    if (o.long) byName.set(o.long, o)
    if (o.short) byName.set(o.short, o)
  }
  /** Flags (attribute names) the suggested command does not take: left out of it. */
  const omit = new Set(['watch'])
  if (!watch) for (const name of ['mode', 'debounce', 'rescan', 'pollInterval', 'webhook', 'metrics']) omit.add(name)
  // (`bisync` is the command of `ui --bisync`, and takes no --bisync; `watch --bisync` does.)
  if (command === 'bisync') omit.add('bisync')
  if (command === 'copy') for (const name of ['deleteExcluded', 'maxDelete', 'allowEmptySource']) omit.add(name)
  const told = new Set(['webhook', 'metrics'])
  const words: string[] = []
  const positional: string[] = []
  const dropped: string[] = []
  const drop = (o: Option): void => {
    if (told.has(o.attributeName()) && o.long && !dropped.includes(o.long)) dropped.push(o.long)
  }
  const tokens = argv.slice(start + 1)
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string
    if (token === '--') {
      const rest = tokens.slice(i + 1)
      positional.push(...rest)
      words.push(token, ...rest)
      break
    }
    if (token.startsWith('--')) {
      const eq = token.indexOf('=')
      const o = byName.get(eq < 0 ? token : token.slice(0, eq))
      // A value written as the next word belongs to the flag.
      const value = o?.required && eq < 0 && i + 1 < tokens.length ? [tokens[++i] as string] : []
      if (o && omit.has(o.attributeName())) drop(o)
      else words.push(token, ...value)
    } else if (token.startsWith('-') && token.length > 1) {
      // Short flags, maybe grouped (`-nc`); one that takes a value takes the rest of the word, or the next word.
      let kept = '-'
      const value: string[] = []
      for (let j = 1; j < token.length; j++) {
        const o = byName.get(`-${token[j]}`)
        if (o?.required) {
          const rest = token.slice(j + 1)
          if (!omit.has(o.attributeName())) {
            kept += token.slice(j)
            if (rest === '' && i + 1 < tokens.length) value.push(tokens[i + 1] as string)
          } else drop(o)
          if (rest === '') i++
          break
        }
        if (o && omit.has(o.attributeName())) drop(o)
        else kept += token[j]
      }
      if (kept !== '-') words.push(kept, ...value)
    } else {
      positional.push(token)
      words.push(token)
    }
  }
  if (positional.length !== 2 || positional[0] !== source || positional[1] !== target) return undefined
  return { line: ['syncflow', command, ...words].map(shellQuote).join(' '), dropped }
}

/** The command `ui` runs the job of: `watch` (`--watch`), `bisync` (`--bisync`), `copy` (`--mode copy`) or `sync`. */
function commandOf(flags: Pick<UiFlags, 'watch' | 'mode' | 'bisync'>): 'watch' | 'bisync' | 'copy' | 'sync' {
  return flags.watch ? 'watch' : flags.bisync ? 'bisync' : flags.mode === 'copy' ? 'copy' : 'sync'
}

/** What `ui` says without a terminal: that it needs one, and the command to run instead. */
export function noTerminalMessage(
  argv: readonly string[],
  source: string,
  target: string,
  flags: Pick<UiFlags, 'watch' | 'mode' | 'bisync'>,
  why = 'needs a terminal (stdin and stdout must both be one)',
): string {
  const instead = equivalentCommand(argv, source, target, flags)
  const name = commandOf(flags)
  const lines = [`syncflow: \`ui\` ${why}.`]
  if (instead) {
    lines.push(`  Run \`${instead.line}\` instead (it prints progress and a summary; --json for NDJSON).`)
    if (instead.dropped.length > 0) {
      lines.push(
        `  (\`${name}\` has no ${instead.dropped.join(' or ')}: only \`syncflow watch\` takes ${instead.dropped.length > 1 ? 'them' : 'it'}.)`,
      )
    }
  } else {
    lines.push(
      `  Run \`syncflow ${name}\` with the same flags and locations instead (it prints progress and a summary).`,
    )
  }
  return `${lines.join('\n')}\n`
}

/**
 * `syncflow ui SRC DST`: a sync (or, with --watch, a continuous job) inside the live terminal UI.
 * Needs a terminal on stdin and stdout; elsewhere it says so and suggests the same job as `sync`,
 * `copy` or `watch`, with the same flags (exit 2).
 *
 * The job (engine, backends, reporters) starts first and runs while Ink and React load; the UI follows
 * its events (through a hub that keeps them until the UI has subscribed).
 */
export async function uiCommand(source: string, target: string, flags: UiFlags, streams: Streams): Promise<ExitCode> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    // The command line as typed (`run` was given process.argv): the suggestion keeps every flag.
    streams.stderr.write(noTerminalMessage(process.argv.slice(2), source, target, flags))
    return EXIT.USAGE
  }
  // A terminal that cannot move its cursor (Emacs' shell, TERM=dumb) shows a redrawn screen as junk
  // escapes, one frame after another (QA 27a).
  if (process.env.TERM === 'dumb') {
    const why = 'redraws the screen, which this terminal cannot do (TERM=dumb)'
    streams.stderr.write(noTerminalMessage(process.argv.slice(2), source, target, flags, why))
    return EXIT.USAGE
  }
  if (flags.json) {
    streams.stderr.write(
      'syncflow: `ui` draws on the terminal, so --json does not apply.\n  Use `syncflow sync --json` for NDJSON.\n',
    )
    return EXIT.USAGE
  }
  const [{ startEngine }, { SyncEventHub }, { onInterrupt }, { onHangup }] = await Promise.all([
    import('../ui/start-engine.js'),
    import('../ui/sync-event-hub.js'),
    import('../job/on-interrupt.js'),
    import('./on-hangup.js'),
  ])
  // The engine first: it opens the job (lock, backends, the listing starts) while Ink and React load.
  const engine = startEngine({ source, target, flags })
  // A signal stops the run, and the UI once the run has ended: after a run with failures, its last
  // screen waits for `q`, which a closed terminal (SIGHUP) or a `kill` (SIGTERM) never sends (QA:
  // such a process stayed alive for good, ignoring both).
  const signalled = new AbortController()
  const stop = (): void => {
    engine.abort()
    signalled.abort()
  }
  const removeHandlers = onInterrupt(stop)
  const hangup = onHangup(stop)
  // The hub keeps the run's events until the UI has subscribed.
  const hub = new SyncEventHub(engine.events)
  /** The source was found empty and the target's files kept (EMPTY_SOURCE): its root is left as it is too. */
  let emptySource = false
  engine.events.subscribe((e) => {
    if (e.type === 'notice' && e.code === 'EMPTY_SOURCE') emptySource = true
  })
  const color = !noColor()
  // chalk (under Ink) reads this once, when it is first imported: before the lazy import below.
  if (!color) process.env.FORCE_COLOR = '0'
  // React's production build: its development build checks every element and renders several times slower.
  // (Written so that a bundle that fixes process.env.NODE_ENV at build time still compiles.)
  Object.assign(process.env, { NODE_ENV: process.env.NODE_ENV ?? 'production' })
  // Ink draws only a final frame where it believes it runs in CI (is-in-ci reads CI and
  // CONTINUOUS_INTEGRATION once, when Ink is imported below). `ui` was asked for a live screen on
  // a terminal (checked above), so those variables do not apply to it.
  delete process.env.CI
  delete process.env.CONTINUOUS_INTEGRATION
  const ui = import('../ui/run-ui.js')
  ui.catch(() => {})
  /** Says why the job could not run. */
  const fail = async (error: unknown): Promise<ExitCode> => {
    const [revive, errors, exits] = await Promise.all([
      import('../errors/revive-error.js'),
      import('../errors/format-error.js'),
      import('../errors/exit-codes.js'),
    ])
    // (A summary's fatal error comes serialized: made an error again, as `sync` prints it.)
    const e = revive.reviveError(error)
    streams.stderr.write(errors.formatError(e, flags.verbose === true))
    return exits.exitCodeForError(e)
  }
  try {
    let where: { source: string; target: string; metricsUrl?: string }
    try {
      where = await engine.opened
    } catch (error) {
      await engine.closed
      return await fail(error)
    }
    let runUi: typeof import('../ui/run-ui.js')['runUi']
    try {
      ;({ runUi } = await ui)
    } catch (error) {
      engine.abort()
      await engine.closed
      return await fail(error)
    }
    let summary: Awaited<ReturnType<typeof runUi>>
    try {
      summary = await runUi({
        hub,
        command: flags.watch && flags.bisync ? 'watch --bisync' : commandOf(flags),
        source: where.source,
        target: where.target,
        watch: flags.watch === true,
        gate: engine.gate,
        onQuit: () => engine.abort(),
        onForceQuit: () => process.exit(EXIT.INTERRUPTED),
        signal: signalled.signal,
        color,
        ...(where.metricsUrl ? { metricsUrl: where.metricsUrl } : {}),
        ...(flags.dryRun ? { dryRun: true } : {}),
      })
    } catch (error) {
      // The screen broke (a bug): the run stops and its job is closed (state saved, lock released)
      // before the error goes on, and before a hangup met meanwhile ends the process (finally).
      engine.abort()
      await engine.closed.catch(() => undefined)
      throw error
    }
    // The job is closed (state saved, lock released) before the process may exit.
    const { fatal } = await engine.closed
    // The target root's own mode and mtime, last, as `sync` gives them once its run is done (QA 27a:
    // `ui` left a 0755 root for a 0700 source, names listable by everyone, and `check` found "1 dir
    // mode to set" right after a run that said done). Not for a watch, whose cycles give the root its
    // mtime alone (startEngine), as `watch` does: the job holds the root writable while it runs.
    // As `sync` does, not after a source found empty (an unmounted disk's mount point: the target is
    // left as it was, its root too), nor where a root holds an --exclude-if-present marker; nor for
    // `--bisync`, whose two sides are peers, neither the other's copy (`bisync` leaves both roots).
    if (
      flags.watch !== true &&
      flags.bisync !== true &&
      flags.dryRun !== true &&
      summary &&
      !summary.fatal &&
      !summary.interrupted &&
      !emptySource
    ) {
      const [{ finishLocalTarget }, { markedRoot }] = await Promise.all([
        import('../job/finish-local-target.js'),
        import('../job/marked-root.js'),
      ])
      if (!markedRoot([source, target], flags.excludeIfPresent)) await finishLocalTarget(source, target)
    }
    for (const w of engine.warnings) streams.stderr.write(`syncflow: ${w}\n`)
    if (fatal && !summary) return await fail(fatal)
    if (!summary) return EXIT.FAILED
    if (summary.fatal) await fail(summary.fatal)
    const { exitCodeForSummary } = await import('../job/exit-code-for-summary.js')
    return exitCodeForSummary(summary, 'sync')
  } finally {
    hub.close()
    removeHandlers()
    hangup.finish()
  }
}
