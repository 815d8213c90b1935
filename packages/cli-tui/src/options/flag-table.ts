import { checkStateLocation, type SyncError } from '@syncflow/core'
import { InvalidArgumentError, Option } from 'commander'
import { escapedBytes, undecodableBytes } from '../job/undecodable-argument.js'
import { parseAge } from './parse-age.js'
import { parseConcurrency } from './parse-concurrency.js'
import { parseEndpoint } from './parse-endpoint.js'
import { parseFilterRule } from './parse-filter-rule.js'
import { parseMaxDelete } from './parse-max-delete.js'
import { parseModifyWindow } from './parse-modify-window.js'
import { parsePattern } from './parse-pattern.js'
import { parsePlugin } from './parse-plugin.js'
import { parseRate } from './parse-rate.js'
import { parseSeconds } from './parse-seconds.js'
import { parseSize } from './parse-size.js'
import { parseStorageClass } from './parse-storage-class.js'
import { readFilterFile } from './read-filter-file.js'
import { readPathList } from './read-path-list.js'
import { readPatternFile } from './read-pattern-file.js'

/**
 * The largest `--block-size`: core's MAX_REQUESTED_BLOCK_SIZE, what a `syncflow serve` accepts for a
 * signature. Not imported: the flag table loads with every command (`--version` too), core does not
 * (importing it here cost every `--version` ~18 ms); a test keeps the two equal.
 */
export const MAX_BLOCK_SIZE_FLAG = 1024 * 1024

/** `--block-size`: bytes from 64 to 1M. */
function parseBlockSize(value: string): number {
  let n: number
  try {
    n = parseRate(value)
  } catch {
    n = Number.NaN // a rate's message would speak of bytes per second
  }
  if (!Number.isInteger(n) || n < 64 || n > MAX_BLOCK_SIZE_FLAG) {
    throw new Error(`${JSON.stringify(value)} is not a block size: use bytes from 64 to 1M, e.g. 8k`)
  }
  return n
}

/**
 * `--backup-dir`: a value that starts with `-` is a flag the shell line meant (`--backup-dir -n`
 * took `-n` as the directory, and the dry run became a real run: QA 24 #12).
 */
function parseBackupDir(value: string): string {
  if (value.startsWith('-')) {
    throw new Error(
      `${JSON.stringify(value)} looks like a flag, not a directory: for a directory of that name, write ./${value}`,
    )
  }
  return value
}

/** `--exclude-if-present`: a file name, as a directory holds it (no `/`, not empty, `.` or `..`). */
function parseMarkerName(value: string): string {
  if (value === '') throw new Error('give the name of the marker file, e.g. .nobackup or CACHEDIR.TAG')
  if (value === '.' || value === '..' || value.includes('/') || value.includes('\0')) {
    throw new Error(
      `${JSON.stringify(value)} is not a file name: a marker is a name a directory holds (e.g. .nobackup or CACHEDIR.TAG), without a "/"; to leave out one path, use --exclude`,
    )
  }
  return value
}

/** `--link-dest`: a directory (checked once the target is known, which a relative one is relative to). */
function parseLinkDest(value: string): string {
  if (value.trim() === '') throw new Error('Give the directory of an earlier snapshot, e.g. ../2026-12-06.')
  return parseBackupDir(value)
}

/** `--suffix`: added to a file name, so no `/` (nor NUL). */
function parseSuffix(value: string): string {
  // (A control character, a tab, is refused too: no name with one is ever synced, so every kept file failed, QA 24b.)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (value === '' || /[/\x00-\x1f\x7f]/.test(value)) {
    throw new Error(
      `${JSON.stringify(value)} cannot end a file name: give a suffix without "/" or control characters, e.g. .$(date +%F)`,
    )
  }
  // Given in bytes that are not UTF-8 (a Latin-1 terminal), it came here with U+FFFD in their place,
  // and every file was kept under that other name (`a.txt.\xef\xbf\xbd` for `--suffix .$'\xff'`),
  // where a location so given is refused (QA 30b).
  const bytes = undecodableBytes(value)
  if (bytes !== undefined) {
    throw new Error(
      `${JSON.stringify(value)} is not valid UTF-8 (its bytes: ${escapedBytes(bytes)}): the files would be kept under another name. Write it in UTF-8.`,
    )
  }
  return value
}

/** Turns a parser that throws "what to use instead" into a commander argument parser. */
function flagParser<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value)
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err))
    }
  }
}

/** The parsers of repeatable flags (see `takesList`). */
const REPEATABLE = new WeakSet<object>()

/** For repeatable flags: each occurrence appends to the list. */
function repeatable(parse: (value: string) => string): (value: string, previous: string[] | undefined) => string[] {
  const one = flagParser(parse)
  const each = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), one(value)]
  REPEATABLE.add(each)
  return each
}

/** For repeatable flags whose value gives a list (a file of patterns): each occurrence appends its items. */
function repeatableList(
  parse: (value: string) => string[],
): (value: string, previous: string[] | undefined) => string[] {
  const many = flagParser(parse)
  const each = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...many(value)]
  REPEATABLE.add(each)
  return each
}

/** Whether a flag takes a list (given more than once, or a JSON array in `--config`). */
export function takesList(option: Option): boolean {
  return option.variadic || (option.parseArg !== undefined && REPEATABLE.has(option.parseArg))
}

/**
 * Every flag of the job commands, defined once (design §8). Commands pick the ones that apply; the
 * `--config` file accepts the same names and runs the same parsers.
 */
export const FLAG_TABLE = {
  dryRun: () => new Option('-n, --dry-run', 'plan and report, write nothing (the state store included)'),
  json: () => new Option('--json', 'print NDJSON SyncEvents on stdout, one per line, ending with "done"'),
  checksum: () =>
    new Option(
      '-c, --checksum',
      'compare content hashes instead of size and mtime (an mtime that differs is still carried over, and check reports it)',
    ).conflicts('sizeOnly'),
  sizeOnly: () => new Option('--size-only', 'compare sizes only (ignore mtimes)'),
  modifyWindow: () =>
    new Option(
      '--modify-window <SEC>',
      'mtimes this close count as equal: seconds, or 100ms, 2s, 1h (e.g. 2 for a FAT disk; default: what the two sides can store, never less)',
    ).argParser(flagParser(parseModifyWindow)),
  ignoreExisting: () =>
    new Option(
      '--ignore-existing',
      'leave every file the target already has as it is: copy only what it lacks (a mirror still deletes)',
    ),
  update: () =>
    new Option('-u, --update', 'leave a target file that is newer than the source file as it is (rsync -u)'),
  oneFileSystem: () =>
    new Option(
      '-x, --one-file-system',
      "a local source's directories on another file system (mount points) are made, not entered; the target's copy of their contents is kept",
    ),
  maxSize: () =>
    new Option(
      '--max-size <SIZE>',
      "don't transfer source files larger than SIZE (bytes, or 500k, 2G): the target's copy is kept",
    ).argParser(flagParser(parseSize)),
  minSize: () =>
    new Option('--min-size <SIZE>', "don't transfer source files smaller than SIZE, as --max-size").argParser(
      flagParser(parseSize),
    ),
  maxAge: () =>
    new Option(
      '--max-age <AGE>',
      "don't transfer source files modified longer ago than AGE (36h, 7d, 2w; rclone's flag): the target's copy is kept",
    ).argParser(flagParser(parseAge)),
  minAge: () =>
    new Option(
      '--min-age <AGE>',
      "don't transfer source files modified less than AGE ago (e.g. 10m: files still being written), as --max-age",
    ).argParser(flagParser(parseAge)),
  concurrency: () =>
    new Option(
      '--concurrency <N>',
      // (The range is said here, not only when a value outside it is refused: QA 27d.)
      'actions executed at once, 1 to 256 (default: 8, or what a backend asks for: more for S3, and for small files into a local directory or a grpc:// server)',
    ).argParser(flagParser(parseConcurrency)),
  exclude: () =>
    new Option(
      '--exclude <PATTERN>',
      'skip paths matching a gitignore-style glob (repeatable); an exclude always wins over --include, whatever the order',
    ).argParser(repeatable(parsePattern)),
  include: () =>
    new Option(
      '--include <PATTERN>',
      'only paths matching a glob (repeatable): any --include means "only these", no --exclude \'*\' needed',
    ).argParser(repeatable(parsePattern)),
  // rsync's and rclone's: a job's long list of patterns kept in a file (read when the flag is parsed:
  // a missing file is a usage error before anything runs).
  excludeFrom: () =>
    new Option(
      '--exclude-from <FILE>',
      'read --exclude patterns from FILE, one per line (# or ; starts a comment, - is stdin; repeatable)',
    ).argParser(repeatableList(readPatternFile)),
  includeFrom: () =>
    new Option('--include-from <FILE>', 'read --include patterns from FILE, as --exclude-from').argParser(
      repeatableList(readPatternFile),
    ),
  // rclone's and rsync's ordered rules, where the first that matches decides (an --exclude wins
  // over every --include, which cannot say "this file, not the rest of its directory").
  filter: () =>
    new Option(
      '--filter <RULE>',
      "an ordered rule: '+ GLOB' includes, '- GLOB' excludes, '!' drops the rules before it; the first rule that matches a path decides (repeatable; after --exclude, before --include)",
    ).argParser(repeatable(parseFilterRule)),
  filterFrom: () =>
    new Option(
      '--filter-from <FILE>',
      'read --filter rules from FILE, one per line, in order (# or ; starts a comment, - is stdin; repeatable)',
    ).argParser(repeatableList(readFilterFile)),
  // rclone's (restic's and borg's too; GNU tar's --exclude-tag): a cache or scratch directory marked
  // by a file in it (CACHEDIR.TAG, .nobackup) rather than listed in every job.
  excludeIfPresent: () =>
    new Option(
      '--exclude-if-present <NAME>',
      'skip every directory holding an entry named NAME (.nobackup, CACHEDIR.TAG), with all below it, on both sides if either holds one (repeatable; local directories only)',
    ).argParser(repeatable(parseMarkerName)),
  filesFrom: () =>
    new Option(
      '--files-from <FILE>',
      'only the paths FILE lists, one per line, relative to the source (a directory with its contents; - is stdin; repeatable)',
    ).argParser(repeatableList(readPathList)),
  // rsync's snapshot backups: each run's target a new directory, its unchanged files hard links
  // into the last one (rsnapshot, Time Machine-style scripts).
  linkDest: () =>
    new Option(
      '--link-dest <DIR>',
      "hard-link a new file from DIR when DIR holds it unchanged (size, mtime, permissions) instead of copying it: rsync's snapshot backups, each costing only what changed (a local target; a relative DIR is relative to the target, as rsync's; repeatable, tried in order)",
    ).argParser(repeatable(parseLinkDest)),
  // rsync's --remove-source-files, rclone's move: files shipped off a spool (camera uploads, logs).
  removeSourceFiles: () =>
    new Option(
      '--remove-source-files',
      "delete each source file once the target holds it (copied, or found there with the same content), as rsync's: a move (a file changed since it was listed is kept; directories stay; `syncflow move` is copy with this)",
    ),
  deleteEmptySrcDirs: () =>
    new Option(
      '--delete-empty-src-dirs',
      "with move (or --remove-source-files): also remove the source directories left empty, as rclone's (never the source itself, never one that still holds anything)",
    ),
  // rsync's -H: a tree whose files have several names (snapshot series, a Maildir, git objects)
  // keeps them one file on the target, not one copy per name.
  hardLinks: () =>
    new Option(
      '-H, --hard-links',
      'names of one source file (hard links) that the run syncs become names of one target file, as rsync -H: the first is copied, the others linked to it (a local source and target; a copy where no link can be made)',
    ),
  deleteExcluded: () =>
    new Option('--delete-excluded', 'also delete target files that are excluded (mirror only: sync, watch, ui)'),
  maxDelete: () =>
    new Option('--max-delete <N|P%>', 'delete nothing if more than N files (or P% of the target) would go').argParser(
      flagParser(parseMaxDelete),
    ),
  allowEmptySource: () =>
    new Option('--allow-empty-source', 'let an empty source empty a non-empty target (refused by default)'),
  deleteBefore: () =>
    new Option(
      '--delete-before',
      'delete first, in a pass of their own, then copy (for a target with no room until the old files go; lists both sides twice)',
    ),
  backupDir: () =>
    new Option(
      '--backup-dir <DIR>',
      'keep each target file that would be replaced or deleted in DIR, at its path (a directory or URI beside the target; hard-linked where it can)',
    ).argParser(flagParser(parseBackupDir)),
  suffix: () =>
    new Option(
      '--suffix <SUFFIX>',
      'with --backup-dir: add SUFFIX to the name of each file kept, so one backup directory holds several old versions',
    ).argParser(flagParser(parseSuffix)),
  suffixKeepExtension: () =>
    new Option(
      '--suffix-keep-extension',
      'put the --suffix before the extension (--suffix -old: f-old.txt, not f.txt-old)',
    ),
  state: () =>
    new Option(
      '--state <URI>',
      'state store: a file path, memory:, redis://…, postgres://… (default: a SQLite file per job)',
    ).argParser(
      // An empty value (an unset variable in a script) is a mistake, not the default store (QA 20 F7).
      flagParser((value) => {
        if (value.trim() === '') throw new Error('Give a state store, or leave --state out for the default one.')
        // What the value says alone (a scheme no store has): a dry run opens no store, so it passed
        // `--state bogus://x` that the real run then refused (QA 29b).
        try {
          checkStateLocation(value)
        } catch (err) {
          throw new Error(`${(err as SyncError).message}. ${(err as SyncError).hint ?? ''}`.trim())
        }
        return value
      }),
    ),
  noState: () => new Option('--no-state', 'use no state store (same result, slower on remote targets)'),
  bwlimit: () =>
    new Option(
      '--bwlimit <RATE>',
      'limit total transfer rate: bytes/s, or with a k, M, G (Ki, Mi, Gi) suffix, e.g. 512k or 10M (0 = no limit)',
    ).argParser(flagParser(parseRate)),
  conflict: () =>
    new Option(
      '--conflict <POLICY>',
      'bisync: a file changed on both sides keeps both versions (keep-both, the default: the older beside it as NAME.sync-conflict-DATE-SIDE.EXT), or the newer, A (source-wins) or B (target-wins) replaces the other',
    ).choices(['keep-both', 'newer', 'source-wins', 'target-wins']),
  symlinks: () =>
    new Option('--symlinks <POLICY>', 'what to do with local symlinks (default: preserve)').choices([
      'skip',
      'follow',
      'preserve',
    ]),
  noCheckUpdated: () =>
    new Option(
      '--no-check-updated',
      "copy a source file that changes while it is copied (a log being written) up to its listed size, as it is, instead of failing it: for append-only files (rclone's --local-no-check-updated)",
    ),
  trackRenames: () =>
    new Option(
      '--track-renames',
      'rename on the target a file whose content a new source file has (bisync: on the side that still has the old name), also between two local directories (by default only where a transfer would cost more: S3, grpc://)',
    ),
  noTrackRenames: () =>
    new Option(
      '--no-track-renames',
      'copy a renamed file again and delete the old name, never pairing files by content',
    ),
  s3Endpoint: () =>
    new Option(
      '--s3-endpoint <URL>',
      'an S3-compatible endpoint (default: AWS, or $AWS_ENDPOINT_URL_S3, or $AWS_ENDPOINT_URL)',
    ).argParser(flagParser(parseEndpoint)),
  s3StorageClass: () =>
    new Option(
      '--s3-storage-class <CLASS>',
      "s3://: the storage class of the objects written (STANDARD_IA, GLACIER_IR, …; default: the service's, STANDARD); a touch keeps an object's own",
    ).argParser(flagParser(parseStorageClass)),
  token: () => new Option('--token <TOKEN>', 'grpc://: the server token (else --token-file or $SYNCFLOW_TOKEN)'),
  tokenFile: () => new Option('--token-file <FILE>', "grpc://: read the server token from a file's first line"),
  caFile: () => new Option('--ca-file <FILE>', 'grpcs://: trust this CA certificate (PEM)'),
  compress: () => new Option('--compress', 'grpc://: gzip data on the wire'),
  timeout: () =>
    new Option(
      '--timeout <SEC>',
      "grpc://, s3://: I/O timeout: fail a transfer or request when the server sends or takes nothing for SEC seconds (or a duration: 90s, 5m); a failed transfer is tried 4 times, and on s3:// each request up to 3 times (default: s3:// 60; grpc:// none for transfers, 60 for a request's answer; 0 = the default)",
    ).argParser(flagParser(parseSeconds)),
  contimeout: () =>
    new Option(
      '--contimeout <SEC>',
      'grpc://, s3://: give up connecting to the server after SEC seconds (or a duration: 90s, 5m), whatever --timeout says; on s3://, until it has answered a first request (default: grpc:// 60, s3:// 10; 0 = the default)',
    ).argParser(flagParser(parseSeconds)),
  blockSize: () =>
    new Option('--block-size <BYTES>', 'delta transfer block size (default: about sqrt of the file size)').argParser(
      flagParser(parseBlockSize),
    ),
  quiet: () =>
    new Option(
      '-q, --quiet',
      'print errors only (and warnings about the flags given, such as a --bwlimit read as bytes/s)',
    ),
  verbose: () => new Option('-v, --verbose', 'print every action, and stack traces for internal errors'),
  config: () =>
    new Option(
      '--config <FILE>',
      "read flags from a JSON file (flags on the command line win; a list there replaces the file's)",
    ),
  plugin: () =>
    new Option(
      '--plugin <NAME_OR_PATH>',
      'load a backend plugin for more location schemes: a package name, or a file ./x.mjs (repeatable)',
    ).argParser(repeatable(parsePlugin)),
} as const satisfies Record<string, () => Option>

/** The name of a flag in FLAG_TABLE (its commander attribute name). */
export type FlagName = keyof typeof FLAG_TABLE

/** The flags of a one-way sync (`sync`, `copy`, `restore`), in help order. */
export const SYNC_FLAGS: readonly FlagName[] = [
  'dryRun',
  'json',
  'checksum',
  'sizeOnly',
  'modifyWindow',
  'ignoreExisting',
  'update',
  'maxSize',
  'minSize',
  'maxAge',
  'minAge',
  'oneFileSystem',
  'concurrency',
  'exclude',
  'include',
  'excludeFrom',
  'includeFrom',
  'filter',
  'filterFrom',
  'excludeIfPresent',
  'filesFrom',
  'deleteExcluded',
  'maxDelete',
  'allowEmptySource',
  'deleteBefore',
  'backupDir',
  'suffix',
  'suffixKeepExtension',
  'linkDest',
  'hardLinks',
  'state',
  'noState',
  'bwlimit',
  'symlinks',
  'noCheckUpdated',
  'trackRenames',
  'noTrackRenames',
  's3Endpoint',
  's3StorageClass',
  'token',
  'tokenFile',
  'caFile',
  'compress',
  'timeout',
  'contimeout',
  'blockSize',
  'plugin',
  'quiet',
  'verbose',
  'config',
]

/**
 * The flags of `copy`: as sync, without the delete-only ones, and with --remove-source-files (not
 * sync's: its next run would delete from the target every file this one took from the source).
 */
export const COPY_FLAGS: readonly FlagName[] = SYNC_FLAGS.flatMap((f): FlagName[] =>
  f === 'deleteExcluded' ||
  f === 'maxDelete' ||
  f === 'allowEmptySource' ||
  f === 'deleteBefore' ||
  f === 'trackRenames' ||
  f === 'noTrackRenames'
    ? []
    : f === 'linkDest'
      ? [f, 'removeSourceFiles', 'deleteEmptySrcDirs']
      : [f],
)

/** The flags of `move`: copy's, --remove-source-files being what move is. */
export const MOVE_FLAGS: readonly FlagName[] = COPY_FLAGS.filter((f) => f !== 'removeSourceFiles')

/**
 * The flags of `restore`: as copy, without --link-dest (a restore's target is the live tree, never a
 * snapshot) or --remove-source-files (a restore that emptied the backup).
 */
export const RESTORE_FLAGS: readonly FlagName[] = COPY_FLAGS.filter(
  (f) => f !== 'linkDest' && f !== 'removeSourceFiles' && f !== 'deleteEmptySrcDirs',
)

/**
 * The flags of `watch` and `ui`: as sync, without those of one run only (a watch's cycles delete as
 * they go), and with `--conflict` for `watch --bisync` (only that takes it: `watchFlagProblem`).
 */
// (--one-file-system too: a watch's events below a mount point would still be synced.)
export const CONTINUOUS_FLAGS: readonly FlagName[] = [
  ...SYNC_FLAGS.filter((f) => f !== 'deleteBefore' && f !== 'oneFileSystem' && f !== 'linkDest' && f !== 'hardLinks'),
  'conflict',
]

/**
 * The flags of `bisync`: those of a run both ways (no size or age limits, no --files-from or
 * backup directory: each would need its own two-way meaning).
 */
export const BISYNC_FLAGS: readonly FlagName[] = [
  'dryRun',
  'json',
  'checksum',
  'sizeOnly',
  'modifyWindow',
  'concurrency',
  'exclude',
  'include',
  'excludeFrom',
  'includeFrom',
  'filter',
  'filterFrom',
  'excludeIfPresent',
  'maxDelete',
  'allowEmptySource',
  'noCheckUpdated',
  'trackRenames',
  'noTrackRenames',
  'conflict',
  'state',
  'bwlimit',
  'symlinks',
  's3Endpoint',
  's3StorageClass',
  'token',
  'tokenFile',
  'caFile',
  'compress',
  'timeout',
  'contimeout',
  'plugin',
  'quiet',
  'verbose',
  'config',
]

/** The flags of `check` (read-only, so no state, limits or dry run). */
export const CHECK_FLAGS: readonly FlagName[] = [
  'json',
  'checksum',
  'sizeOnly',
  'modifyWindow',
  'maxSize',
  'minSize',
  'maxAge',
  'minAge',
  'oneFileSystem',
  'concurrency',
  'exclude',
  'include',
  'excludeFrom',
  'includeFrom',
  'filter',
  'filterFrom',
  'excludeIfPresent',
  'filesFrom',
  'symlinks',
  's3Endpoint',
  'token',
  'tokenFile',
  'caFile',
  'compress',
  'timeout',
  'contimeout',
  'plugin',
  'quiet',
  'verbose',
  'config',
]

/** The flags of `ls`. */
export const LS_FLAGS: readonly FlagName[] = [
  'json',
  'exclude',
  'include',
  'excludeFrom',
  'includeFrom',
  'filter',
  'filterFrom',
  'excludeIfPresent',
  'filesFrom',
  'symlinks',
  's3Endpoint',
  'token',
  'tokenFile',
  'caFile',
  'timeout',
  'contimeout',
  'plugin',
  'verbose',
  'config',
]
