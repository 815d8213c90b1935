// What to type instead of a flag from rsync, rclone or `aws s3 sync` that syncflow does not take.
// Their users type these from habit (`-avz`, `--delete`, `-P`, `--transfers 16`): an "unknown
// option" alone leaves them to guess whether syncflow keeps times, deletes, or shows progress.
// Only flags whose answer is known are here; any other unknown flag keeps commander's message.

const KEPT_ALWAYS = 'syncflow always keeps times, modes and symlinks (as rsync -a does), and recurses into directories'

const PROGRESS =
  'a live progress line is shown while stderr is a terminal, and a summary at the end; scripts read --json (its "progress" and "stats" events)'

const ATOMIC = 'every write is a temp file renamed into place, so there is no partial file to keep or append to'

// rsync's switches of its delta algorithm (QA 28e: `-W`, rsync's everyday "faster on a LAN", had no answer).
const DELTA =
  'files of 64 KiB or more go as rsync-style deltas to and from a grpc:// server (--block-size sets the block), and whole everywhere else (local directories, s3://); there is no switch'

/** What the command does about deletes, for `--delete` and its kin. */
function deleteHint(command: string, flag: string, copyMode: boolean): string {
  // `watch --mode copy --delete`: "is a mirror" was wrong there; its mirror is the default mode.
  if ((command === 'watch' || command === 'ui') && copyMode) {
    return `\`syncflow ${command} --mode copy\` never deletes; its default --mode mirror deletes the target files the source lacks without a flag: drop --mode copy and ${flag}`
  }
  if (command === 'bisync') {
    return `\`syncflow bisync\` carries each side's deletes to the other (after every copy succeeded) without a flag: drop ${flag}`
  }
  if (command === 'sync' || command === 'watch' || command === 'ui') {
    return `\`syncflow ${command}\` is a mirror: it deletes the target files the source lacks (after every transfer succeeded) without a flag: drop ${flag}`
  }
  if (command === 'check')
    return `\`syncflow check\` reports what a mirror would delete, and deletes nothing: drop ${flag}`
  // (`move` deletes: the source files it moved. "never deletes" was said of it too.)
  if (command === 'move') {
    return `\`syncflow move\` deletes nothing in the target, whatever the flags (it removes from the source each file it moved): \`syncflow sync\` is the mirror that deletes the target files the source lacks`
  }
  return `\`syncflow ${command}\` never deletes, whatever the flags: \`syncflow sync\` is the mirror that does`
}

/** rclone's `--track-renames-strategy`: how syncflow pairs renames. */
function renamesHint(command: string, flag: string): string {
  if (command === 'sync' || command === 'bisync' || command === 'watch' || command === 'ui') {
    return `renames are paired by size and hash, never by mtime alone (two files of one size and mtime may differ), for files of 64 KiB or more: drop ${flag} (--track-renames pairs between two local directories too)`
  }
  const never = command === 'move' ? 'deletes nothing in the target' : 'never deletes'
  return `\`syncflow ${command}\` ${never}, so it has no renames to track: \`syncflow sync\` (a mirror) and \`syncflow bisync\` pair them`
}

const PRUNE =
  'with --include, a directory is made only once something in it is (none left empty by the filter, as rsync -m); with --exclude alone, as rsync makes them'

const CVS = 'there is no built-in list: leave such files out with --exclude or in .syncflowignore'

const MISSING = 'a --files-from path the source lacks is said in a note, not an error'

/** Long flags of the other tools, by name (without `=value`): what syncflow does instead. */
const LONG: Readonly<Record<string, (command: string, copyMode: boolean) => string>> = {
  '--archive': () => `${KEPT_ALWAYS}: drop --archive`,
  '--recursive': () => 'syncflow always recurses into directories: drop --recursive',
  '--times': () => `${KEPT_ALWAYS}: drop --times`,
  '--perms': () => `${KEPT_ALWAYS}: drop --perms`,
  '--links': () => `${KEPT_ALWAYS} (see --symlinks): drop --links`,
  '--delete': (c, copy) => deleteHint(c, '--delete', copy),
  '--delete-after': (c, copy) => deleteHint(c, '--delete-after', copy),
  '--delete-delay': (c, copy) => deleteHint(c, '--delete-delay', copy),
  '--delete-during': (c, copy) => deleteHint(c, '--delete-during', copy),
  '--del': (c, copy) => deleteHint(c, '--del', copy),
  '--progress': () => `${PROGRESS}: drop --progress`,
  '--stats': () => `${PROGRESS}: drop --stats`,
  '--partial': () =>
    `${ATOMIC}; what an interrupted transfer moved is kept anyway where it can be resumed (an upload to or a download from a syncflow serve, an S3 multipart upload), and the next try moves only the rest: drop --partial`,
  '--inplace': () => `${ATOMIC}: drop --inplace`,
  '--append': () => `${ATOMIC}: drop --append`,
  '--whole-file': () => `${DELTA}: drop --whole-file`,
  '--no-whole-file': () => `${DELTA}: drop --no-whole-file`,
  '--human-readable': () => 'sizes and rates are always printed human-readable: drop --human-readable',
  '--itemize-changes': () => '-v prints every action as it is done (--json, every event): use -v',
  '--transfers': () => 'the number of files transferred at once is --concurrency N (rclone --transfers)',
  '--checkers': () => 'listings are streamed and compared as they come; --concurrency N sets the transfers at once',
  '--track-renames-strategy': (c) => renamesHint(c, '--track-renames-strategy'),
  '--fast-list': () => 'listings are always streamed a page at a time (on S3, LIST only): drop --fast-list',
  '--endpoint-url': () => 'an S3-compatible endpoint is --s3-endpoint URL (or $AWS_ENDPOINT_URL_S3)',
  '--exact-timestamps': () =>
    'mtimes are compared exactly by default (to what both sides can store; see --modify-window): drop --exact-timestamps',
  // rsync's and rclone's filter flags (QA 30d: `-am`, of rsync's "-am --include '*/' --include '*.c'
  // --exclude '*'", got "unknown option" alone).
  '--prune-empty-dirs': () => `${PRUNE}: drop --prune-empty-dirs`,
  '--cvs-exclude': () => `${CVS}: drop --cvs-exclude`,
  '--ignore-missing-args': () => `${MISSING}: drop --ignore-missing-args`,
  '--delete-missing-args': () =>
    `${MISSING}, and \`syncflow sync\` deletes the target's copy: drop --delete-missing-args`,
  // rsync's, for a list from find -print0 (QA 30d: "unknown option" alone).
  '--from0': () =>
    '--files-from, --exclude-from and --include-from files are read one name a line (no name syncflow syncs holds a newline): drop --from0 and make the list without -print0 (find . -type f)',
  '--rsh': () => 'a remote directory is grpc://host:port/path, served by `syncflow serve` on that host',
  // (Not another tool's: the continuous sync is a command of its own, which `sync --watch` reads as a flag of.)
  '--watch': (c, copy) =>
    c === 'sync' || c === 'copy'
      ? `continuous sync is a command: \`syncflow watch${c === 'copy' || copy ? ' --mode copy' : ''} SRC DST\` (or \`syncflow ui --watch${c === 'copy' || copy ? ' --mode copy' : ''} SRC DST\` for the live screen), with the same flags`
      : 'continuous sync is `syncflow watch SRC DST` (or `syncflow ui --watch SRC DST`)',
}

/** rsync's short flags, as they come bundled (`-avz`): each letter's answer. */
const SHORT: Readonly<Record<string, string>> = {
  a: 'is always on (times, modes and symlinks kept, directories recursed)',
  r: 'is always on',
  l: 'is always on (see --symlinks)',
  t: 'is always on',
  p: 'is always on',
  g: 'is on when syncflow runs as root between local directories',
  o: 'is on when syncflow runs as root between local directories',
  D: 'is not there: FIFOs, sockets and devices are not copied',
  z: 'is --compress (grpc:// only)',
  P: 'is not needed: a progress line is shown on a terminal, and every write is atomic (no partial files)',
  h: 'is --help: sizes are always human-readable',
  i: 'is not there: -v prints every action',
  e: 'is not there: a remote directory is grpc://host:port/path (`syncflow serve` there)',
  m: `is not there: ${PRUNE}`,
  C: `is not there: ${CVS}`,
  F: 'is not there: rules go in .syncflowignore at the source root (gitignore syntax; only that one is read)',
  W: 'is not there: files of 64 KiB or more go as deltas to and from grpc:// only, whole everywhere else',
}

/** Short flags that syncflow takes too, in a bundle with rsync's. */
const OWN_SHORT = new Set(['v', 'n', 'c', 'u', 'q', 'x'])

/**
 * The hint for an unknown flag that is another tool's (`flag` as commander quotes it), or undefined
 * for one this table does not know. `copyMode`: `watch`/`ui` was given `--mode copy`. `takes`: the
 * short flags the command has (all of OWN_SHORT when not given).
 */
export function foreignFlagHint(
  flag: string,
  command: string,
  copyMode = false,
  takes?: ReadonlySet<string>,
): string | undefined {
  if (flag.startsWith('--')) return LONG[flag.split('=')[0] as string]?.(command, copyMode)
  // `ui`'s short --watch (rsync has no -w): given to a one-shot command, the answer to --watch.
  if (flag === '-w' && (command === 'sync' || command === 'copy')) return LONG['--watch']?.(command, copyMode)
  if (!/^-[a-zA-Z]+$/.test(flag)) return undefined
  const letters = [...new Set(flag.slice(1))]
  if (letters.some((l) => SHORT[l] === undefined && !OWN_SHORT.has(l))) return undefined
  const foreign = letters.filter((l) => SHORT[l] !== undefined)
  if (foreign.length === 0) return undefined
  // Only the letters this command takes: `check -nav` was told "give its own alone: -nv", and
  // `check -nv` is refused again (check has no -n: it writes nothing anyway), without a hint.
  const own = letters.filter((l) => OWN_SHORT.has(l) && (takes === undefined || takes.has(l)))
  const notTaken = letters.filter((l) => OWN_SHORT.has(l) && takes !== undefined && !takes.has(l))
  const said = foreign.map((l) => `-${l} ${SHORT[l]}`).join('; ')
  const others =
    notTaken.length > 0 ? `; \`syncflow ${command}\` takes no ${notTaken.map((l) => `-${l}`).join(' or ')}` : ''
  return `${flag} is rsync's: in syncflow ${said}${own.length > 0 ? `; give its own alone: -${own.join('')}` : ''}${others}`
}
