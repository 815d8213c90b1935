import { existsSync, readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { UI_OPTIONS } from './commands/ui.js'
import { WATCH_OPTIONS } from './commands/watch.js'
import type { ExitCode } from './errors/exit-codes.js'
import {
  BISYNC_FLAGS,
  CHECK_FLAGS,
  CONTINUOUS_FLAGS,
  COPY_FLAGS,
  FLAG_TABLE,
  type FlagName,
  LS_FLAGS,
  MOVE_FLAGS,
  RESTORE_FLAGS,
  SYNC_FLAGS,
} from './options/flag-table.js'
import { foreignFlagHint } from './options/foreign-flag-hint.js'
import type { JobFlags } from './options/job-flags.js'
import { bareRateWarning } from './options/parse-rate.js'
import { tokenFileWarning } from './options/token-file-warning.js'
import { unusedFlagWarnings } from './options/unused-flag-warnings.js'
import type { Streams } from './output/streams.js'

// This module parses flags and wires commands; nothing else. It must stay cheap to import:
// command modules (and through them @syncflow/core, backends, SDKs, Ink) load only when run.

const USAGE_EXIT = 2

const HELP_FOOTER = `
Locations: a path or file://…; s3://bucket/prefix; grpc://host:port/path; a scheme a --plugin adds.
Exit codes: 0 ok / in sync; 1 some items failed, differences found (check) or deletes suppressed by a guard;
            2 usage, configuration, credentials, lock or other fatal problem (nothing was run, or the run
              stopped once what it had planned was finished, deleting nothing); 130 interrupted.
Run 'syncflow <command> --help' for a command's flags.`

/** Set by scripts/bundle.mjs (esbuild `define`): the package version, so the bundle reads no file for it. */
declare const SYNCFLOW_VERSION: string | undefined

function readVersion(): string {
  if (typeof SYNCFLOW_VERSION === 'string') return SYNCFLOW_VERSION
  // tsc's build: dist/cli.js, beside which ../package.json is this package's.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

function addFlags(cmd: Command, names: readonly FlagName[], streams: Streams): Command {
  for (const name of names) cmd.addOption(FLAG_TABLE[name]())
  if (names.includes('bwlimit')) {
    // Commander passes the value as typed once its parser took it: a bare small number is said once.
    let warned = false
    cmd.on('option:bwlimit', (value: string) => {
      const warning = warned ? undefined : bareRateWarning(value)
      if (warning === undefined) return
      warned = true
      streams.stderr.write(`syncflow: warning: ${warning}\n`)
    })
  }
  if (names.includes('state') && names.includes('noState')) {
    // Commander lets the later of --state X and --no-state win, silently: both is a mistake (QA 11 #8).
    let state: string | undefined
    let noState = false
    cmd.on('option:state', (value: string) => {
      state = value
    })
    cmd.on('option:no-state', () => {
      noState = true
    })
    cmd.hook('preAction', async () => {
      if (state === undefined || !noState) return
      const { usageError } = await import('./errors/usage-error.js')
      throw usageError(
        `--state ${JSON.stringify(state)} and --no-state both given`,
        'Give one of them: --state URI names the state store, --no-state uses none.',
      )
    })
  }
  return cmd.showHelpAfterError(`(run 'syncflow ${cmd.name()} --help' to see the flags)`)
}

/**
 * `--webhook URL` on a one-shot run (design §8's common flag): the healthchecks pings a cron job's
 * `sync` sends (`/start`, then success or `/fail` with the run's summary). It was `watch`'s and
 * `ui`'s only, and `sync … --webhook` was refused.
 */
function addWebhook(cmd: Command): Command {
  const make = WATCH_OPTIONS.map((o) => o()).find((o) => o.long === '--webhook')
  if (make) {
    make.description =
      'ping URL/start as the run starts, then URL (success) or URL/fail (a fatal error, failed items) with its JSON summary, as healthchecks.io takes them'
    cmd.addOption(make)
  }
  return cmd
}

/**
 * The command's flags, with `--config FILE` merged in under the command line. The file's keys that
 * only other commands take are left out (said with -v): one file serves all of a job's commands.
 */
async function flagsOf(cmd: Command, streams: Streams, locations: readonly string[]): Promise<JobFlags> {
  const file = cmd.getOptionValue('config') as string | undefined
  let configPaths: JobFlags['configPaths']
  if (file !== undefined) {
    const { applyConfigFile, fileKeyOf } = await import('./options/apply-config-file.js')
    const others = new Set(
      (cmd.parent?.commands ?? []).flatMap((c) => c.options.flatMap((o) => [o.attributeName(), fileKeyOf(o)])),
    )
    const { ignored, warnings, paths } = await applyConfigFile(cmd, file, others)
    if (paths.length > 0) configPaths = paths
    for (const warning of warnings) streams.stderr.write(`syncflow: warning: ${warning}\n`)
    if (ignored.length > 0 && cmd.getOptionValue('verbose') === true) {
      const keys = ignored.map((k) => JSON.stringify(k)).join(', ')
      streams.stderr.write(
        `note: ${file}: ${keys} left out: only other commands take ${ignored.length > 1 ? 'them' : 'it'}\n`,
      )
    }
  }
  for (const warning of unusedFlagWarnings(cmd, locations)) streams.stderr.write(`syncflow: warning: ${warning}\n`)
  const given = cmd.opts<JobFlags>()
  // A grpc:// --backup-dir reads the --token-file too, beside two local paths.
  const backupDir = cmd.getOptionValue('backupDir') as string | undefined
  const exposed = await tokenFileWarning(
    given.tokenFile,
    backupDir !== undefined ? [...locations, backupDir] : locations,
  )
  if (exposed !== undefined) streams.stderr.write(`syncflow: warning: ${exposed}\n`)
  // A file's patterns are the flag's own, given one by one (an exclude wins whatever the order).
  const flags: JobFlags = {
    ...given,
    ...(given.excludeFrom ? { exclude: [...(given.exclude ?? []), ...given.excludeFrom] } : {}),
    ...(given.includeFrom ? { include: [...(given.include ?? []), ...given.includeFrom] } : {}),
    // rclone's order: the --filter rules, then the --filter-from files' (each in its own order).
    ...(given.filterFrom ? { filter: [...(given.filter ?? []), ...given.filterFrom] } : {}),
  }
  const { sourcePrefixedPatternWarnings } = await import('./options/source-prefixed-pattern-warnings.js')
  const source = cmd.name() === 'restore' ? locations[1] : locations[0]
  for (const warning of await sourcePrefixedPatternWarnings(source, flags)) {
    streams.stderr.write(`syncflow: warning: ${warning}\n`)
  }
  return configPaths !== undefined ? { ...flags, configPaths } : flags
}

/**
 * Commander's "(Did you mean --timeout?)" left out where the flag's hint says what to do: `--times`
 * was told both "Did you mean --timeout?" (an I/O timeout) and "drop --times", `--links` both
 * "--symlinks" and "drop --links".
 */
function withoutGuess(message: string, hint: string | undefined): string {
  return hint === undefined ? message : message.replace(/\n\(Did you mean [^\n]*\?\)/, '')
}

/** The flags that take a glob, which a shell expands when it is not quoted. */
const PATTERN_FLAGS = new Set(['--exclude', '--include'])

/**
 * Runs the `syncflow` command line and resolves with the exit code (0, 1, 2 or 130); never
 * rejects. `argv` excludes the node binary and script.
 */
export async function run(argv: readonly string[], streams: Streams): Promise<ExitCode> {
  let exitCode: ExitCode = 0
  /** What to type instead, for an unknown flag from rsync, rclone or the AWS CLI (commander's message). */
  const hintFor = (message: string): string | undefined => {
    const flag = /unknown option '([^']+)'/.exec(message)?.[1]
    const command = argv.find((a) => !a.startsWith('-')) ?? ''
    if (/^error: too many arguments/.test(message)) return expandedPatternHint()
    if (flag === undefined) return undefined
    // Commander names what is left of a bundle once it took the letters it knows (`-nav` → `-av`):
    // the hint is of the bundle as typed, else its "give its own alone: -v" dropped the -n, and the
    // run typed from it was no dry run.
    const typed = /^-[a-zA-Z]+$/.test(flag)
      ? (argv.find((a) => /^-[a-zA-Z]+$/.test(a) && a.endsWith(flag.slice(1))) ?? flag)
      : flag
    const copyMode = argv.some((a, i) => a === '--mode=copy' || (a === '--mode' && argv[i + 1] === 'copy'))
    // The short flags of the command typed, so that the hint names only those it takes.
    const cmd = program.commands.find((c) => isNamed(c, command))
    const takes =
      cmd === undefined ? undefined : new Set(cmd.options.flatMap((o) => (o.short ? [o.short.slice(1)] : [])))
    return (
      dashedLocationHint(flag, command) ??
      valueOnSwitchHint(flag) ??
      foreignFlagHint(typed, command, copyMode, takes) ??
      misplacedFlagHint(flag) ??
      otherCommandFlagHint(flag)
    )
  }
  /**
   * A location whose name starts with `-` (`sync -drafts backup`): commander said only "unknown
   * option '-drafts'", with no word of the directory of that name here.
   */
  const dashedLocationHint = (flag: string, command: string): string | undefined => {
    if (!existsSync(flag)) return undefined
    return `${flag} is read as a flag; for the location of that name, write ./${flag} (or put -- before the locations: syncflow ${command || '<command>'} -- ${flag} …)`
  }
  /**
   * A value given to a flag that takes none (`sync --dry-run=false`, `check --checksum=1`): commander
   * calls `--dry-run=false` an unknown option, and the hint of other commands' flags then said
   * "--dry-run is a flag of copy, move, … not of `syncflow sync`", of a flag sync takes.
   */
  const valueOnSwitchHint = (flag: string): string | undefined => {
    const eq = flag.indexOf('=')
    if (!flag.startsWith('--') || eq < 0) return undefined
    const name = flag.slice(0, eq)
    const { at, cmd } = commandTyped()
    // (Before the command, it is misplacedFlagHint's.)
    if (at < 0 || argv.indexOf(flag) < at) return undefined
    const option = cmd?.options.find((o) => o.long === name)
    if (option === undefined || option.required || option.optional) return undefined
    return `${name} takes no value: give ${name} alone to turn it on, or leave it out`
  }
  /** `c` is the command `word` names (by its name or an alias). */
  const isNamed = (c: Command, word: string): boolean => c.name() === word || c.aliases().includes(word)
  /** The first word of argv that names a command: where (-1 for none) and which. */
  const commandTyped = (): { at: number; cmd: Command | undefined } => {
    const at = argv.findIndex((a) => program.commands.some((c) => isNamed(c, a)))
    const typed = argv[at]
    return { at, cmd: typed === undefined ? undefined : program.commands.find((c) => isNamed(c, typed)) }
  }
  /** The name of `flag` (`--x=1` is `--x`) and the commands, other than `except`, that take it (hidden aliases aside). */
  const flagTakers = (flag: string, except?: Command): { name: string; takers: Command[] } => {
    const name = flag.split('=')[0] as string
    const takers = program.commands.filter(
      (c) => c !== except && c.options.some((o) => !o.hidden && (o.long === name || o.short === name)),
    )
    return { name, takers }
  }
  /**
   * A flag of the commands given before the command (`syncflow --plugin ./x.mjs ls …`, `syncflow
   * -v sync a b`, as rclone takes its flags anywhere): commander said only "unknown option
   * '--plugin'", which reads as if syncflow had no such flag. The commands' flags go after the
   * command's name.
   */
  const misplacedFlagHint = (flag: string): string | undefined => {
    const { name, takers } = flagTakers(flag)
    const at = argv.findIndex((a) => a === flag || a.split('=')[0] === name)
    const commandAt = commandTyped().at
    if (at < 0 || (commandAt >= 0 && commandAt < at)) return undefined
    if (takers.length === 0) return undefined
    const example = commandAt >= 0 ? (argv[commandAt] as string) : (takers[0]?.name() as string)
    return `${name} is a flag of the commands (${takers.map((c) => c.name()).join(', ')}), not of syncflow itself: give it after the command, as in \`syncflow ${example} … ${name}\``
  }
  /**
   * A pattern the shell expanded, given unquoted (`--exclude *.log` in a directory holding a.log and
   * b.log is `--exclude a.log b.log`): commander said only "too many arguments", and a pattern
   * that matched one name here was taken as that name, silently (QA 32a).
   */
  const expandedPatternHint = (): string | undefined => {
    const at = argv.findIndex(
      (a, i) => PATTERN_FLAGS.has(a) && i + 2 < argv.length && !(argv[i + 2] as string).startsWith('-'),
    )
    if (at < 0) return undefined
    const [flag, first, next] = argv.slice(at, at + 3)
    return `the shell may have expanded an unquoted pattern into names here: in ${flag} ${first} ${next}, ${next} is taken as a location. Quote patterns (${flag} '*.log'), so that the shell passes them as they are`
  }
  /**
   * A flag of other commands given to one that does not take it (`check --max-delete 10%`, a sync's
   * line with `sync` changed to `check` to preview it; `copy --delete-excluded`): commander said only
   * "unknown option '--max-delete'", which reads as if syncflow had no such flag (QA 32a).
   */
  const otherCommandFlagHint = (flag: string): string | undefined => {
    const { at, cmd } = commandTyped()
    if (cmd === undefined) return undefined
    const typed = argv[at] as string
    const { name, takers } = flagTakers(flag, cmd)
    if (takers.length === 0) return undefined
    if (name === '--remove-source-files') {
      if (cmd.name() === 'move') return 'move removes the source files already: drop --remove-source-files'
      if (cmd.name() === 'sync')
        return 'syncflow sync is a mirror: its next run would delete from DST every file --remove-source-files took out of SRC. To move files, run `syncflow move SRC DST` (copy --remove-source-files)'
    }
    const why =
      cmd.name() === 'check'
        ? ' (check only compares: it writes and deletes nothing)'
        : cmd.name() === 'copy' || cmd.name() === 'restore'
          ? ` (${typed} never deletes)`
          : ''
    const names = takers.map((c) => c.name())
    return `${name} is a flag of ${names.slice(0, -1).join(', ')}${names.length > 1 ? ' and ' : ''}${names.at(-1)}, not of \`syncflow ${typed}\`${why}: drop it here`
  }
  const program = new Command('syncflow')
    .description('Keep directories, S3 prefixes and remote trees in sync.')
    .version(readVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void streams.stdout.write(s),
      writeErr: (s) => void streams.stderr.write(s),
      outputError: (s, write) => {
        const hint = hintFor(s)
        write(`syncflow: ${withoutGuess(s, hint).replace(/^error: /, '')}${hint !== undefined ? `  ${hint}.\n` : ''}`)
      },
    })
    .showHelpAfterError("(run 'syncflow --help' to see the commands, 'syncflow <command> --help' a command's flags)")
    .addHelpText('after', HELP_FOOTER)

  const jobAction =
    (load: () => Promise<(a: string, b: string, f: JobFlags, s: Streams) => Promise<ExitCode>>) =>
    async (a: string, b: string, _opts: unknown, cmd: Command) => {
      const [command, flags] = await Promise.all([load(), flagsOf(cmd, streams, [a, b])])
      exitCode = await command(a, b, flags, streams)
    }

  addWebhook(addFlags(program.command('sync').argument('<SRC>').argument('<DST>'), SYNC_FLAGS, streams))
    .summary('one-way mirror: DST ends equal to SRC (extraneous DST files deleted)')
    .description('One-way mirror: make DST equal to SRC, deleting DST files that SRC does not have.')
    .action(jobAction(async () => (await import('./commands/sync.js')).syncCommand))

  addWebhook(addFlags(program.command('copy').alias('backup').argument('<SRC>').argument('<DST>'), COPY_FLAGS, streams))
    .summary('one-way copy of new and changed files; never deletes (alias: backup)')
    .description('One-way copy: copy new and changed files from SRC to DST; never delete anything.')
    .action(jobAction(async () => (await import('./commands/copy.js')).copyCommand))

  addWebhook(addFlags(program.command('move').argument('<SRC>').argument('<DST>'), MOVE_FLAGS, streams))
    .summary("copy, then delete from SRC each file DST holds (rclone's move)")
    .description(
      'Move files: copy new and changed files from SRC to DST, then delete from SRC each file DST holds ' +
        '(copied, or found there with the same content), as rclone move and rsync --remove-source-files do.\n' +
        'A file that changed since it was listed, failed to copy, or differs from the one DST holds stays in SRC; ' +
        'directories stay. Nothing in DST is deleted.',
    )
    .action(jobAction(async () => (await import('./commands/move.js')).moveCommand))

  addWebhook(addFlags(program.command('restore').argument('<SRC>').argument('<DST>'), RESTORE_FLAGS, streams))
    .summary('copy DST back into SRC: the same arguments as the backup restore it')
    .description(
      'Restore a backup: copy files from DST back into SRC (never deleting).\n' +
        "'syncflow backup A B' copies A to B; 'syncflow restore A B' copies B back to A.\n" +
        'A file of SRC that differs from its backup (edited since) is replaced by the backup: see which with ' +
        '-n first; -u keeps those newer than the backup, --backup-dir keeps a copy of each.',
    )
    .action(jobAction(async () => (await import('./commands/restore.js')).restoreCommand))

  addFlags(program.command('check').argument('<SRC>').argument('<DST>'), CHECK_FLAGS, streams)
    .summary('compare only; list differences and exit 1 if there are any')
    .description('Compare SRC with DST as a mirror would, writing nothing. Lists differences on stdout; exit 1 if any.')
    .action(jobAction(async () => (await import('./commands/check.js')).checkCommand))

  const ls = addFlags(program.command('ls').argument('<URI>'), LS_FLAGS, streams)
  // The shared --json text speaks of SyncEvents; ls prints the listed entries themselves.
  const lsJson = ls.options.find((o) => o.long === '--json')
  if (lsJson)
    lsJson.description =
      'print one JSON entry per line (path, kind, size, mtimeMs, mode, ...) on stdout; a fatal error ends it with {"fatal": {code, message, hint}}'
  ls.summary('list a location recursively (--json for NDJSON entries)')
    .description('List a location recursively, in listing order (UTF-8 byte order of paths).')
    .action(async (uri: string, _opts: unknown, cmd: Command) => {
      const [{ lsCommand }, flags] = await Promise.all([import('./commands/ls.js'), flagsOf(cmd, streams, [uri])])
      exitCode = await lsCommand(uri, flags, streams)
    })

  const bisyncCmd = addWebhook(
    addFlags(program.command('bisync').argument('<A>').argument('<B>'), BISYNC_FLAGS, streams),
  )
  // The shared --checksum text speaks of a source's mtime carried to a target, and of check.
  const bisyncChecksum = bisyncCmd.options.find((o) => o.long === '--checksum')
  if (bisyncChecksum)
    bisyncChecksum.description =
      "tell A's and B's versions of a file apart by a hash both offer, not size and mtime: one touched on one side, or changed alike on both, only gets the mtime carried (no copy, no conflict)"
  bisyncCmd
    .summary('two-way sync from the state of the last run')
    .description(
      'Two-way sync: carry what changed on each side since the last run to the other, deletes included.\n' +
        'A file changed on both sides keeps both versions (--conflict); a first run copies each side to the other ' +
        'and deletes nothing. Deletes run last and not at all after a failure, or beyond --max-delete (50%).',
    )
    .action(jobAction(async () => (await import('./commands/bisync.js')).bisyncCommand))
  const watchCmd = addFlags(program.command('watch').argument('<SRC>').argument('<DST>'), CONTINUOUS_FLAGS, streams)
  for (const option of WATCH_OPTIONS) watchCmd.addOption(option())
  watchCmd.hook('preAction', async (cmd) => {
    const [{ watchFlagProblem }, { usageError }] = await Promise.all([
      import('./options/watch-flag-problem.js'),
      import('./errors/usage-error.js'),
    ])
    const problem = watchFlagProblem(cmd)
    if (problem) throw usageError(problem.message, problem.hint)
  })
  watchCmd
    .summary('continuous sync: keep DST in step with SRC (with --bisync, A and B both ways) until stopped')
    .description(
      'Sync once, then keep DST in step with SRC as files change, until SIGINT/SIGTERM (exit 130, state saved).\n' +
        'Renames become moves; bursts are batched; a full rescan runs every --rescan; --mode copy never deletes.\n' +
        "With --bisync (watch A B --bisync): two-way, a 'syncflow bisync' pass at the start and each time either side changes.",
    )
    .action(jobAction(async () => (await import('./commands/watch.js')).watchCommand))

  const uiCmd = addFlags(program.command('ui').argument('<SRC>').argument('<DST>'), CONTINUOUS_FLAGS, streams)
  for (const option of [...UI_OPTIONS, ...WATCH_OPTIONS]) uiCmd.addOption(option())
  uiCmd.hook('preAction', async (cmd) => {
    const [{ watchFlagProblem }, { usageError }] = await Promise.all([
      import('./options/watch-flag-problem.js'),
      import('./errors/usage-error.js'),
    ])
    const problem = watchFlagProblem(cmd, ['--watch'])
    if (problem) throw usageError(problem.message, problem.hint)
  })
  // `ui` draws on the terminal and refuses --json (saying to use `sync --json`): its help listed the
  // flag as "print NDJSON SyncEvents on stdout", which it never does. Still taken, for that message.
  uiCmd.options.find((o) => o.long === '--json')?.hideHelp()
  uiCmd
    .summary('the live terminal UI around a sync (or, with --watch, a watch) job')
    .description(
      'Run a sync (with --bisync, two-way), or with --watch a continuous job, in a live terminal UI (keys: p pause, q quit, e errors, ? help).',
    )
    .action(async (a: string, b: string, _opts: unknown, cmd: Command) => {
      const [{ uiCommand }, flags] = await Promise.all([import('./commands/ui.js'), flagsOf(cmd, streams, [a, b])])
      // One config file serves all of a job's commands: its "json": true, there for the job's
      // `sync` or `check` run by a script, is left out of `ui` as another command's key is (-v says
      // so), rather than refusing the UI over it (--json given on the command line still is).
      if (cmd.getOptionValueSource('json') === 'config') {
        if (flags.verbose === true) {
          streams.stderr.write(`note: ${String(flags.config)}: "json" left out: ui draws on the terminal\n`)
        }
        const { json: _json, ...rest } = flags
        exitCode = await uiCommand(a, b, rest, streams)
        return
      }
      exitCode = await uiCommand(a, b, flags, streams)
    })
  program
    .command('serve')
    .summary('serve a directory to grpc:// clients (rsync-style delta transfer)')
    .description(
      'Serve the directory --root DIR to grpc:// clients until interrupted. Clients sync with grpc://HOST:PORT/path.',
    )
    // Required, but said missing only after unknown flags (the preAction hook below): commander
    // checks a requiredOption first, so `serve -avz` got "required option '--root <DIR>' not
    // specified" where every other command says what to type instead of rsync's flags.
    .option('--root <DIR>', 'the directory to serve (clients never reach outside it)')
    .option('--listen <HOST:PORT>', 'address to listen on, e.g. 127.0.0.1:8730 or 0.0.0.0:8730')
    .option('--token <TOKEN>', 'require this token (else --token-file or $SYNCFLOW_TOKEN)')
    .option('--token-file <FILE>', "require the token in this file's first line")
    .option('--tls-cert <FILE>', 'serve TLS with this certificate (PEM); needs --tls-key')
    .option('--tls-key <FILE>', 'the TLS private key (PEM)')
    .option('--compress', 'gzip data sent to clients')
    .option(
      '--read-only',
      'clients may list and read (sync from it), never write, delete, rename or change metadata (a sync into it fails)',
    )
    .option('-v, --verbose', 'stack traces for internal errors')
    .showHelpAfterError("(run 'syncflow serve --help' to see the flags)")
    .hook('preAction', (cmd) => {
      for (const o of cmd.options) {
        if ((o.long === '--root' || o.long === '--listen') && cmd.getOptionValue(o.attributeName()) === undefined) {
          cmd.error(`error: required option '${o.flags}' not specified`, {
            code: 'commander.missingMandatoryOptionValue',
          })
        }
      }
    })
    .action(async (opts: import('./commands/serve.js').ServeFlags) => {
      const { serveCommand } = await import('./commands/serve.js')
      exitCode = await serveCommand(opts, streams)
    })

  // `help X` for a command there is none of printed the general help and exited 0, as if there
  // were one (QA 29b). Parsed as `X`, it is the unknown command it names, with commander's guess.
  const helpFor = argv[0] === 'help' ? argv[1] : undefined
  const known = (name: string): boolean =>
    name === 'help' || program.commands.some((c) => c.name() === name || c.aliases().includes(name))
  const args = helpFor !== undefined && !helpFor.startsWith('-') && !known(helpFor) ? [helpFor] : argv
  try {
    await program.parseAsync(args, { from: 'user' })
    return exitCode
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through exitOverride too; anything else is a usage mistake.
      if (err.exitCode === 0) return 0
      // Commander printed the message; a --json reader also gets its final `done`.
      const { writeUsageDone } = await import('./job/usage-done-event.js')
      const hint = hintFor(err.message)
      writeUsageDone(
        argv,
        streams,
        withoutGuess(err.message, hint).replace(/^error: /, ''),
        hint !== undefined ? `${hint}.` : undefined,
      )
      return USAGE_EXIT
    }
    const [{ formatError }, { exitCodeForError }, { asSyncError }, { writeUsageDone }] = await Promise.all([
      import('./errors/format-error.js'),
      import('./errors/exit-codes.js'),
      import('@syncflow/core'),
      import('./job/usage-done-event.js'),
    ])
    const error = asSyncError(err)
    streams.stderr.write(formatError(err, argv.includes('-v') || argv.includes('--verbose')))
    // Before the job started (a bad --config file): a --json reader still gets its final `done`.
    if (error.code === 'USAGE') writeUsageDone(argv, streams, error.message, error.hint)
    return exitCodeForError(error)
  }
}
