import { constants } from 'node:fs'
import { access, lstat, readlink, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { DirectoryChain } from '@syncflow/backend-local'
import {
  acquireJobLock,
  asSyncError,
  assertJobUnlocked,
  type Backend,
  type BackendRegistry,
  createPathFilter,
  excludeIfPresentProblem,
  existingSqliteStateFile,
  hardLinksProblem,
  IGNORE_FILE_NAME,
  isSyncError,
  jobIdOf,
  lazyStateStore,
  loadIgnoreFile,
  MemoryStateStore,
  type NoticeEvent,
  type OpenOptions,
  openStateStore,
  type PathFilter,
  probeStateServer,
  type StateStore,
  SyncError,
  type SyncOptions,
  untilAborted,
} from '@syncflow/core'
import { usageError } from '../errors/usage-error.js'
import { assertConfigPathsReadable } from '../options/assert-config-paths-readable.js'
import type { JobFlags } from '../options/job-flags.js'
import { formatAge } from '../options/parse-age.js'
import { assertFlagFilesExpanded } from './assert-flag-files-expanded.js'
import { assertNoOverlap, assertNoSharedDirectory } from './assert-no-overlap.js'
import { assertPathGiven } from './assert-path-given.js'
import { assertPersistentLocation } from './assert-persistent-location.js'
import { assertStateNotMoveSource, assertStateOutsideTarget } from './assert-state-outside-target.js'
import { assertTildeExpanded } from './assert-tilde-expanded.js'
import { MAKE_MISSING_SIDE_HINT } from './bisync-of.js'
import { isBuiltinLocation } from './builtin-plugins.js'
import { explainMissing } from './explain-missing.js'
import { fileAtLocation, specialAtLocation } from './file-at-location.js'
import { fileSourceHint } from './file-source-hint.js'
import { filterOptionsOf } from './filter-options-of.js'
import { registerPlugins } from './load-plugins.js'
import { localPathOf } from './local-path-of.js'
import { type BackupDirSpec, checkBackupDir, openBackupDir } from './open-backup-dir.js'
import { openLinkDests } from './open-link-dests.js'
import { prepareLocalTarget } from './prepare-local-target.js'
import { specialFileAt } from './special-file-at.js'
import { stateDirExcludeOf, stateFileExcludesOf } from './state-dir-exclude-of.js'
import { theSide } from './the-side.js'
import { assertDecodableArgument, assertDecodableCwd } from './undecodable-argument.js'

/** What a command asks for: the two locations as the user gave them, and the flags. */
export interface JobSpec {
  readonly mode: 'mirror' | 'copy'
  readonly source: string
  readonly target: string
  readonly flags: JobFlags
  /** True for `check` and dry runs: no lock, no state store, nothing written anywhere. */
  readonly readOnly: boolean
  /** What messages call each side, as the user knows it (`restore`'s source is its DST). [source, target] */
  readonly sideNames?: { readonly source: string; readonly target: string }
  /** `check` (its messages suggest a check, not a copy), or a sync-like command. [sync] */
  readonly kind?: 'sync' | 'check'
  /**
   * A two-way job (`bisync`, `watch --bisync`): it also holds the lock of the pair taken the other
   * way round, since `bisync B A` writes the same two trees (review 39: `watch B A --bisync` ran
   * beside `watch A B --bisync`, each job with its own records and lock). [false]
   */
  readonly bothWays?: boolean
  /**
   * `restore`: no `.syncflowignore` is read from its source, the backup, whose copy of the original's
   * rules hid files the backup holds (kept from before a rule was added) from the restore, without a
   * word (review of restore). Only the flags filter it. [false]
   */
  readonly noIgnoreFile?: boolean
}

/** A job ready to run: both backends open, the lock held, the options built. */
export interface OpenedJob {
  readonly source: Backend
  readonly target: Backend
  readonly options: SyncOptions
  /**
   * Reads the source's `.syncflowignore` again: the filter of `options` rebuilt with its new rules,
   * or `undefined` when they are as they were (a `watch` calls it when the file changes).
   */
  reloadFilter(): Promise<PathFilter | undefined>
  /**
   * The check made before opening that neither side is inside the other, made again (a `watch`
   * asks before each full sync: a symlinked root re-pointed into the other side). @throws SyncError `USAGE`
   */
  checkRoots(): Promise<void>
  /**
   * The target root did not exist and was made for this run (a local target; not by a dry run):
   * said as the run's `mkdir .`, as a dry run says it (`madeRootAction`).
   */
  readonly madeTargetRoot?: true
  /** What the run is to say before it starts (a `--link-dest` directory that gives no links), as notes. */
  readonly notices?: readonly NoticeEvent[]
  /** Closes the state store (saving it), the backends, and releases the lock; never throws. */
  close(): Promise<void>
}

/**
 * The location a job is known by (its lock and its state): an `s3://` one with the S3-compatible
 * endpoint it reaches, as the S3 backend resolves it (`resolveEndpoint`: none for AWS, whose bucket
 * names are global, so a job's id there is as it was). One bucket name on two services was one job
 * (QA 29c): the state of a run to one vouched for the other's objects of the same bytes (an ETag is
 * their MD5), uploaded before it, so a mode or mtime changed in the source since they were written
 * (a `chmod 600`) never reached them. (The package is loaded already: its backend is open.)
 */
async function jobLocationOf(uri: string, flags: JobFlags): Promise<string> {
  if (!/^s3:\/\//i.test(uri)) return uri
  const { resolveEndpoint } = await import('@syncflow/backend-s3')
  const endpoint = resolveEndpoint(flags.s3Endpoint)
  return endpoint === undefined ? uri : `${uri} at ${endpoint}`
}

/** The backend options the flags imply (each backend reads its own keys). */
export function openOptionsOf(flags: JobFlags): OpenOptions {
  return {
    ...(flags.symlinks ? { symlinks: flags.symlinks } : {}),
    ...(flags.s3Endpoint ? { s3Endpoint: flags.s3Endpoint } : {}),
    ...(flags.s3StorageClass ? { s3StorageClass: flags.s3StorageClass } : {}),
    ...(flags.token ? { token: flags.token } : {}),
    ...(flags.tokenFile ? { tokenFile: flags.tokenFile } : {}),
    ...(flags.caFile ? { caFile: flags.caFile } : {}),
    ...(flags.compress ? { compress: true } : {}),
    ...(flags.blockSize ? { blockSize: flags.blockSize } : {}),
    // Seconds on the command line (rsync's --timeout, --contimeout); 0 leaves the backend's default.
    ...(flags.timeout ? { ioTimeoutMs: flags.timeout * 1000 } : {}),
    ...(flags.contimeout ? { connectTimeoutMs: flags.contimeout * 1000 } : {}),
    ...(flags.verbose ? { verbose: true } : {}),
    // A dry run must not even clean up (stale temp files, abandoned multipart uploads).
    ...(flags.dryRun ? { dryRun: true } : {}),
  }
}

/**
 * Opens a job: refuses overlapping roots and a missing source, registers the `--plugin` backends in
 * `registry`, opens both backends, takes the job
 * lock (failing at once with LOCKED when another run holds it), opens the state store and reads the
 * source's `.syncflowignore`. On any failure, what was opened is closed again.
 */
export async function openJob(spec: JobSpec, registry: BackendRegistry, signal: AbortSignal): Promise<OpenedJob> {
  const { flags } = spec
  if (flags.checksum && flags.sizeOnly) {
    throw usageError('--checksum and --size-only cannot be used together', 'Pick one way to compare files.')
  }
  if (flags.minSize !== undefined && flags.maxSize !== undefined && flags.minSize > flags.maxSize) {
    throw usageError(
      `--min-size ${flags.minSize} is above --max-size ${flags.maxSize} (bytes): no file could be transferred`,
      'Give a --min-size no larger than the --max-size.',
    )
  }
  if (flags.minAge !== undefined && flags.maxAge !== undefined && flags.minAge >= flags.maxAge) {
    throw usageError(
      `--min-age ${formatAge(flags.minAge)} is not below --max-age ${formatAge(flags.maxAge)}: no file could be transferred`,
      'Give a --min-age below the --max-age (--max-age 7d --min-age 1h: modified between a week and an hour ago).',
    )
  }
  if (flags.suffix !== undefined && flags.backupDir === undefined) {
    throw usageError(
      '--suffix names the files kept in a --backup-dir, and none is given',
      'Add --backup-dir DIR (a file kept beside the original would be deleted by the next mirror).',
    )
  }
  if (flags.removeSourceFiles && flags.symlinks === 'follow') {
    throw usageError(
      // (Said as a move: `move` sets --remove-source-files itself, which its user never typed.)
      'a move (move, or copy --remove-source-files) with --symlinks follow: what is copied is the file a link leads to, and the link is not that file',
      'Move with --symlinks preserve (the links moved as links), or copy with --symlinks follow and remove the links yourself.',
    )
  }
  if (flags.deleteEmptySrcDirs && !flags.removeSourceFiles) {
    throw usageError(
      '--delete-empty-src-dirs removes the source directories a move leaves empty, and this copy removes no file',
      'Use `syncflow move SRC DST --delete-empty-src-dirs` (or add --remove-source-files).',
    )
  }
  if (flags.suffixKeepExtension && flags.suffix === undefined) {
    throw usageError('--suffix-keep-extension places a --suffix, and none is given', 'Add --suffix SUFFIX, or drop it.')
  }
  const names = spec.sideNames ?? { source: 'source', target: 'target' }
  for (const [side, location] of [
    [names.source, spec.source],
    [names.target, spec.target],
  ] as const) {
    assertPathGiven(`the ${side}`, location, 'a directory or a URI (use . for the current directory).')
    assertPersistentLocation(side === 'A' || side === 'B' ? `side ${side}` : `the ${side}`, location)
    assertTildeExpanded(`the ${side}`, location)
    assertDecodableArgument(`the ${side}`, location)
    assertDecodableCwd(`the ${side}`, location)
  }
  if (flags.backupDir !== undefined) {
    assertTildeExpanded('--backup-dir', flags.backupDir)
    assertDecodableArgument('--backup-dir', flags.backupDir)
    assertDecodableCwd('--backup-dir', flags.backupDir)
  }
  assertFlagFilesExpanded(flags, [spec.source, spec.target, flags.backupDir])
  // The state file is written there (a file made under the lossy name, beside the one named).
  if (typeof flags.state === 'string') {
    assertTildeExpanded('--state', flags.state.replace(/^sqlite:(\/\/)?/i, ''))
    assertDecodableArgument('--state', flags.state)
  }
  // The flags' filters only (the source's .syncflowignore is read once it is open): a target they
  // keep out of the source's listing may lie inside it, and a source they keep out of the target's
  // (restore proj proj/.old --exclude /.old) inside the target, unless excluded files are deleted.
  const deletesExcluded = flags.deleteExcluded === true && spec.mode === 'mirror'
  // The state directory inside a local target (a home directory restored) is left out of both
  // listings, unless excluded files are deleted (then refused below); inside a local source (a home
  // directory backed up or watched), with a --state file there, always: the run writes them.
  const stateExcludes = [
    await stateDirExcludeOf(spec.source),
    ...(await stateFileExcludesOf(spec.source, flags.state)),
    deletesExcluded ? undefined : await stateDirExcludeOf(spec.target),
  ].filter((pattern): pattern is string => pattern !== undefined)
  const givenFilterOptions = filterOptionsOf(flags)
  const filterOptions =
    stateExcludes.length === 0
      ? givenFilterOptions
      : { ...givenFilterOptions, exclude: [...(givenFilterOptions.exclude ?? []), ...stateExcludes] }
  const flagFilter = createPathFilter(filterOptions)
  const overlapFilters = { source: flagFilter, target: deletesExcluded ? undefined : flagFilter }
  // restore's sides by the names its user gave them: "source" and "target" were its DST and SRC (QA 25a #9).
  const overlapNames = spec.sideNames
    ? {
        ...names,
        hint: `Give ${names.source} and ${names.target} locations of which neither contains the other, or leave the one inside out of the other's listing with --exclude /PATH (its path there; not with --delete-excluded).`,
      }
    : undefined
  await assertNoOverlap(spec.source, spec.target, overlapFilters, overlapNames)
  // A mirror deleted its own lock and state file where they lay in its target (QA 29c).
  if (!spec.readOnly && spec.mode === 'mirror') {
    await assertStateOutsideTarget(spec.target, flags.state, overlapFilters.target)
  }
  // A move took the lock and the state file away where the state directory was its source.
  if (!spec.readOnly && flags.removeSourceFiles === true) await assertStateNotMoveSource(spec.source, flags.state)
  const backupSpec: BackupDirSpec | undefined =
    flags.backupDir !== undefined
      ? {
          location: flags.backupDir,
          source: spec.source,
          target: spec.target,
          ...(spec.sideNames ? { sideNames: spec.sideNames } : {}),
          filter: flagFilter,
          deleteExcluded: deletesExcluded,
        }
      : undefined
  if (backupSpec) await checkBackupDir(backupSpec)
  // --plugin modules, loaded before anything is opened: a bad one stops the command with exit 2.
  await registerPlugins(registry, flags.plugin)
  // A token or CA file from --config, said before a grpc:// side reads it (which knows only the flag).
  await assertConfigPathsReadable(flags.configPaths, [spec.source, spec.target])

  const closers: (() => Promise<void>)[] = []
  /** Removes a missing target's directories made below, should the job be refused before it runs. */
  let unmakeTarget: (() => Promise<void>) | undefined
  /** Closers whose failure is said (the target's own close: a backend that commits its writes there). */
  const reported = new Set<() => Promise<void>>()
  const close = async (): Promise<void> => {
    // Reverse order: state is saved before the lock that protects it is released.
    let failure: unknown
    for (const closer of closers.reverse()) {
      await closer().catch((err: unknown) => {
        if (reported.has(closer)) failure ??= err
      })
    }
    // After every closer ran (the lock is released): what the target did not keep is not in sync.
    if (failure !== undefined) throw asSyncError(failure, 'close')
  }
  const stopIfAborted = (): void => {
    if (signal.aborted) throw new SyncError('ABORTED', 'interrupted before the run started')
  }
  /** A call before the run, ended by a Ctrl-C as stopIfAborted says it (QA 21 F8: "ABORTED: rootExists: interrupted"). */
  const beforeRun = <T>(call: () => Promise<T>, what: string): Promise<T> =>
    untilAborted(call, signal, what).catch((err: unknown) => {
      if (isSyncError(err) && err.code === 'ABORTED') stopIfAborted()
      throw err
    })
  /**
   * The state store opened, ended by a Ctrl-C as `beforeRun` ends a call: a state server that takes
   * the connection and never answers held an interrupted run for the open's whole timeout (5 s),
   * then ended it as TRANSIENT, exit 2, not 130. A store that opens after all is closed unused.
   * The open takes the signal too, and drops its connect: left waiting, it held the process until
   * bin.js's safety net ended it, 3 s after the run.
   */
  const openUntilAborted = async (open: () => Promise<StateStore>): Promise<StateStore> => {
    const opening = open()
    try {
      return await beforeRun(() => opening, 'state.open')
    } catch (err) {
      opening.then((s) => s.close()).catch(() => {})
      throw err
    }
  }
  try {
    // `check` writes nothing either: a backend is told so, as a dry run's is (OpenOptions.dryRun).
    const openOptions: OpenOptions = spec.readOnly ? { ...openOptionsOf(flags), dryRun: true } : openOptionsOf(flags)
    // --symlinks says how to read the source (rsync -L follows on the sending side only): the target
    // keeps its own symlinks as symlinks, never followed out of its root (its listing through one
    // would plan deletes there), and a syncflow server target would refuse to follow them anyway.
    const targetOptions: OpenOptions =
      openOptions.symlinks === 'follow' ? { ...openOptions, symlinks: 'preserve' } : openOptions
    /**
     * Opens a location, ended by a Ctrl-C as `beforeRun` ends a call: a grpc:// server that takes
     * the connection and never answers its Hello held a Ctrl-C for up to --contimeout (60 s), then
     * said "no connection … within 60 s" and exit 2 (QA 27a; `ui` showed a blank screen all along).
     * A backend that opens after the stop is closed once it has.
     */
    const openLocation = async (location: string, options: OpenOptions, isTarget = false): Promise<Backend> => {
      const opening = registry.open(location, options)
      const backend = await beforeRun(() => opening, 'open').catch((err: unknown) => {
        opening.then((late) => late.close()).catch(() => {})
        throw err
      })
      const closer = () => backend.close()
      closers.push(closer)
      if (isTarget) reported.add(closer)
      return backend
    }
    const openTarget = (): Promise<Backend> => openLocation(spec.target, targetOptions, true)
    // A local source that follows symlinks is told the target's directory, never to list it through
    // a link (QA 12 #2: each run nested the target in itself, and `watch` looped on its own writes).
    // A grpc target's directory is known once it is open (its Hello), so the target opens first
    // then; a local source's open does no I/O, so the order changes nothing else.
    const fencing = openOptions.symlinks === 'follow' && localPathOf(spec.source) !== undefined
    const early = fencing ? await openTarget() : undefined
    const source = await openLocation(spec.source, {
      ...openOptions,
      ...(early ? { fenceOff: targetFence(spec.target, early) } : {}),
      // The source's only (rsync -x): a target's listing that left a mount point out would copy into it blind.
      ...(flags.oneFileSystem ? { oneFileSystem: true } : {}),
    })
    const target = early ?? (await openTarget())
    stopIfAborted()
    await assertNoSharedDirectory(spec.source, spec.target, { source, target }, overlapNames, overlapFilters)
    // Opened as the target is (its symlinks kept as symlinks, never followed).
    const backup = backupSpec ? await openBackupDir(backupSpec, registry, targetOptions, { source, target }) : undefined
    if (backup) closers.push(() => backup.close())
    // (Opened as the target is: the directories linked from are the target's kind.)
    // -H: both sides must say which names are one file, and the target link them (local directories).
    const hardLinksRefused = flags.hardLinks ? hardLinksProblem(source, target) : undefined
    if (hardLinksRefused !== undefined) {
      throw usageError(
        hardLinksRefused,
        'Drop -H (--hard-links): each name is then copied as a file of its own; or sync between two local directories.',
      )
    }
    // --exclude-if-present needs sides whose listing can tell which directories hold a marker: said
    // here, before the target's root is made, not by the engine once the run had begun (`created .`,
    // then a raw "USAGE: sync: …"), as `ls` says it.
    const markerRefused = excludeIfPresentProblem(flags.excludeIfPresent, [source, target])
    if (markerRefused !== undefined) {
      throw usageError(
        markerRefused,
        'Leave out the directories to skip there with --exclude, or drop --exclude-if-present.',
      )
    }
    const linkDests =
      flags.linkDest !== undefined && flags.linkDest.length > 0
        ? await openLinkDests(flags.linkDest, spec.source, spec.target, (abs) => openLocation(abs, targetOptions))
        : undefined

    // A Ctrl-C while a remote source does not answer ends the run now (see untilAborted).
    if (!(await beforeRun(() => source.rootExists(), 'rootExists'))) {
      // A file where a directory is expected (rclone would copy the one file): say so, and how.
      const file = await fileAtLocation(registry, spec.source, openOptions)
      if (file !== undefined) {
        const link = file.kind === 'symlink'
        throw new SyncError(
          'USAGE',
          `${theSide(names.source)} ${JSON.stringify(spec.source)} is ${link ? 'a symlink to a file' : 'a file'}, not a directory`,
          {
            hint: `${fileSourceHint(spec.source, spec.target, file.path, spec.kind === 'check', flags.removeSourceFiles === true)}${link ? ` That ${spec.kind === 'check' ? 'compares' : flags.removeSourceFiles === true ? 'moves' : 'copies'} the link as a link; add --symlinks follow for the file it leads to.` : ''}`,
          },
        )
      }
      // A device, FIFO or socket exists, but holds no tree: say what it is, as for a file.
      const special = specialFileAt(spec.source) ?? (await specialAtLocation(registry, spec.source, openOptions))
      if (special !== undefined) {
        throw new SyncError(
          'USAGE',
          `${theSide(names.source)} ${JSON.stringify(spec.source)} is ${special}, not a directory`,
          {
            hint: 'syncflow syncs directory trees: give a directory (a device, FIFO or socket holds none). Nothing was changed.',
          },
        )
      }
      // The backend's own account of a missing root, where it has a more precise one (a missing or
      // misnamed bucket); any other failure of that listing (a root below a file, a plugin's own
      // error) leaves the message below, which says nothing was changed.
      await explainMissing(source, signal).catch((err: unknown) => {
        if (isSyncError(err) && err.code === 'NOT_FOUND') throw err
      })
      // Two-way, a remote A that is not there yet (an S3 prefix exists only once it holds a key) is
      // left to bisync, as a remote B is: an empty side on the job's first run, a side gone (refused)
      // once a run has synced it. Refused here, `bisync s3://b/new-prefix dir` could never seed a new
      // prefix, while `bisync dir s3://b/new-prefix` did. A local A must be made first, as B must.
      const localSource = localPathOf(spec.source) !== undefined
      if (!spec.bothWays || localSource) {
        // A symlink that leads nowhere is there for `ls -l`: "does not exist" read as wrong (QA 32a),
        // where the same link as the target was said as what it is.
        const dangling = await danglingLink(spec.source)
        const what =
          dangling === undefined
            ? 'does not exist'
            : `is a symlink to ${JSON.stringify(dangling)}, which does not exist`
        throw new SyncError('NOT_FOUND', `${theSide(names.source)} ${JSON.stringify(spec.source)} ${what}`, {
          hint: spec.bothWays
            ? MAKE_MISSING_SIDE_HINT
            : `${isBuiltinLocation(spec.source) ? 'Check the path or URI (a directory, or an S3 prefix: for one object, its prefix and --include /NAME).' : 'Check the location: its plugin found nothing there.'} A missing source is never treated as empty, so nothing was changed.`,
        })
      }
    }
    // A move from a `syncflow serve --read-only` removes nothing there: said now (exit 2), as such a
    // server is as a target, not after the whole tree was copied, as one PERMISSION failure per file
    // (exit 1). Its Hello says so in `features` (the source has answered it: rootExists above).
    const sourceFeatures = (source as { readonly features?: unknown }).features
    if (
      flags.removeSourceFiles === true &&
      flags.dryRun !== true &&
      sourceFeatures instanceof Set &&
      sourceFeatures.has('readOnly')
    ) {
      throw new SyncError(
        'PERMISSION',
        `${theSide(names.source)} ${JSON.stringify(spec.source)}: this server is read-only (syncflow serve --read-only): a move cannot remove its files`,
        {
          hint: 'Copy from it instead (syncflow copy), or restart `syncflow serve` there without --read-only. Nothing was changed.',
        },
      )
    }
    const prepared = await prepareLocalTarget(
      spec.target,
      names.target,
      !spec.readOnly && flags.dryRun !== true,
      spec.source,
    )
    // Last of all, after the target's own close (which may still write into the root).
    if (prepared?.restore !== undefined) closers.unshift(prepared.restore)
    unmakeTarget = prepared?.unmake
    const [sourceLocation, targetLocation] = [
      await jobLocationOf(source.uri, flags),
      await jobLocationOf(target.uri, flags),
    ]
    const jobId = jobIdOf(sourceLocation, targetLocation)
    if (!spec.readOnly) {
      const lock = await acquireJobLock(jobId, {})
      closers.push(() => lock.release())
      // (Taken after the job's own, never waited for: two runs taking them in the other order
      // each fail at once, LOCKED, rather than wait on each other.)
      const reverseId = spec.bothWays ? jobIdOf(targetLocation, sourceLocation) : jobId
      if (reverseId !== jobId) {
        const reverse = await acquireJobLock(reverseId, {})
        closers.push(() => reverse.release())
      }
      // An s3:// job with an endpoint had another id before 73b7dfd (its URIs alone): a run of an
      // earlier version still going (a long sync or a watch across an upgrade) held only that lock,
      // and this run went on beside it into the same target (QA 31m). Only checked, not taken: two
      // runs of this version to one bucket name on two services are two jobs.
      const earlierId = jobIdOf(source.uri, target.uri)
      if (earlierId !== jobId) await assertJobUnlocked(earlierId)
    }
    let state: StateStore | undefined
    // Aborted if the shared store's lock is lost mid-run (another run took it after it expired).
    const lost = new AbortController()
    let runSignal = signal
    if (!spec.readOnly && flags.state !== false) {
      // The default SQLite file opens on first use (a no-op local run never loads SQLite); an
      // explicit --state opens now, so a bad location or an unreachable server fails up front.
      // (A dry run's store is only read: a state file it may not write is no reason to refuse it.)
      const readOnly = flags.dryRun === true
      const open = () => openStateStore(flags.state || undefined, { jobId, signal, ...(readOnly ? { readOnly } : {}) })
      // A two-way dry run reads the records and writes none: where the job has no SQLite file yet
      // (its first run), it reads an empty store rather than make the file (reviews of S3 and of
      // today's changes: the default store, then --state sqlite:PATH).
      const stateFile =
        flags.dryRun === true ? await existingSqliteStateFile(flags.state || undefined, jobId) : undefined
      const firstDryRun =
        stateFile !== undefined &&
        !(await access(stateFile).then(
          () => true,
          () => false,
        ))
      const store: StateStore = firstDryRun
        ? new MemoryStateStore()
        : flags.state === undefined
          ? lazyStateStore(open)
          : await openUntilAborted(open)
      state = store
      closers.push(() => store.close())
      // A store several hosts share (Redis, PostgreSQL) holds the job's lock too: the lock file
      // above only keeps out runs of this host. Released when the store closes, after its last write.
      if (store.lockJob) {
        await store.lockJob({ onLost: (err) => lost.abort(err) })
        runSignal = AbortSignal.any([signal, lost.signal])
      }
    } else if (flags.dryRun === true && typeof flags.state === 'string') {
      // A dry run reads and writes no state, but one asked for a state server that is down (or
      // refuses the password) said nothing and exited 0 where the real run fails with exit 2: it
      // asks the server as the real run connects to it, and fails as it would, so that it predicts
      // it. Only asks: opening the store makes PostgreSQL's table where it is missing (review 33).
      const url = flags.state
      await beforeRun(() => probeStateServer(url, signal), 'state.open')
    }
    stopIfAborted()

    const filterOf = (ignoreRules: string | undefined): PathFilter =>
      createPathFilter({ ...filterOptions, ...(ignoreRules !== undefined ? { ignoreRules } : {}) })
    let rulesInUse = spec.noIgnoreFile
      ? undefined
      : await beforeRun(() => loadIgnoreRules(source, spec.source, registry, openOptions), 'read')
    const filter = filterOf(rulesInUse)
    const reloadFilter = async (): Promise<PathFilter | undefined> => {
      const rules = spec.noIgnoreFile ? undefined : await loadIgnoreRules(source, spec.source, registry, openOptions)
      if (rules === rulesInUse) return undefined
      const next = filterOf(rules) // a bad pattern throws here, before the rules in use are dropped
      rulesInUse = rules
      return next
    }
    const compare = flags.checksum ? 'checksum' : flags.sizeOnly ? 'size-only' : 'size-mtime'
    const options: SyncOptions = {
      mode: spec.mode,
      dryRun: flags.dryRun === true,
      compare,
      filter,
      signal: runSignal,
      // Never finer than what a side keeps (S3's whole seconds): every file would differ on every run.
      ...(flags.modifyWindow !== undefined
        ? {
            modifyWindowMs: Math.max(
              flags.modifyWindow,
              source.capabilities.mtimePrecisionMs,
              target.capabilities.mtimePrecisionMs,
            ),
          }
        : {}),
      ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
      ...(flags.ignoreExisting ? { ignoreExisting: true } : {}),
      ...(flags.update ? { skipNewer: true } : {}),
      ...(flags.maxSize !== undefined ? { maxSize: flags.maxSize } : {}),
      ...(flags.minSize !== undefined ? { minSize: flags.minSize } : {}),
      ...(flags.maxAge !== undefined ? { maxAgeMs: flags.maxAge } : {}),
      ...(flags.minAge !== undefined ? { minAgeMs: flags.minAge } : {}),
      ...(flags.excludeIfPresent?.length ? { excludeIfPresent: flags.excludeIfPresent } : {}),
      ...(flags.deleteExcluded ? { deleteExcluded: true } : {}),
      ...(flags.maxDelete !== undefined ? { maxDelete: flags.maxDelete } : {}),
      ...(flags.allowEmptySource ? { allowEmptySource: true } : {}),
      ...(flags.deleteBefore ? { deleteBefore: true } : {}),
      ...(flags.bwlimit !== undefined ? { bwlimit: flags.bwlimit } : {}),
      ...(flags.blockSize !== undefined ? { blockSize: flags.blockSize } : {}),
      ...(flags.checkUpdated === false ? { checkUpdated: false } : {}),
      ...(flags.trackRenames !== undefined ? { trackRenames: flags.trackRenames } : {}),
      ...(backup ? { backupTo: backup } : {}),
      ...(linkDests !== undefined && linkDests.backends.length > 0 ? { linkDest: linkDests.backends } : {}),
      ...(flags.removeSourceFiles ? { removeSourceFiles: true } : {}),
      // The source's rules stay with it: a move that took them left the next move without them,
      // which then moved what they excluded (review of move).
      ...(flags.removeSourceFiles ? { keepSourcePaths: [IGNORE_FILE_NAME] } : {}),
      ...(flags.removeSourceFiles && flags.deleteEmptySrcDirs ? { removeEmptySourceDirs: true } : {}),
      ...(flags.hardLinks ? { hardLinks: true } : {}),
      ...(backup && flags.suffix !== undefined ? { backupSuffix: flags.suffix } : {}),
      ...(backup && flags.suffixKeepExtension ? { backupSuffixKeepsExtension: true } : {}),
      ...(state ? { state } : {}),
    }
    const checkRoots = async (): Promise<void> => {
      await assertNoOverlap(spec.source, spec.target, overlapFilters, overlapNames)
      await assertNoSharedDirectory(spec.source, spec.target, { source, target }, overlapNames, overlapFilters)
    }
    return {
      source,
      target,
      options,
      reloadFilter,
      checkRoots,
      close,
      ...(linkDests !== undefined && linkDests.unused.length > 0
        ? {
            notices: linkDests.unused.map(
              (message): NoticeEvent => ({ type: 'notice', ts: Date.now(), code: 'LINK_DEST_UNUSED', message }),
            ),
          }
        : {}),
      ...(prepared?.unmake !== undefined ? { madeTargetRoot: true as const } : {}),
    }
  } catch (err) {
    await close()
    // Refused before it ran: a target this job made is taken away again (an empty directory only).
    await unmakeTarget?.()
    throw err
  }
}

/**
 * The target's directory as a local source's `fenceOff` (`FencedDirectory[]` of backend-local): its
 * path when local (its identity is taken when listed: a target made by this run is fenced once it
 * exists), else the identity of a `syncflow serve` root on this host, as Hello told it. An S3 or
 * remote target's objects cannot be reached through a local symlink: nothing.
 */
function targetFence(location: string, target: Backend): readonly ({ path: string } | { id: string })[] {
  const local = localPathOf(location)
  if (local !== undefined) return [{ path: local }]
  const told = (target as { rootChain?: DirectoryChain }).rootChain
  return told?.exists === true && told.ids[0] !== undefined ? [{ id: told.ids[0] }] : []
}

/**
 * The source's `.syncflowignore`. A local one that is a symlink (a dotfiles setup) is read through
 * it, whatever `--symlinks` says: it is only read, never synced through, and refusing it helped no
 * one. A dangling one is an error, never "no rules" (the rules might keep secrets out).
 */
async function loadIgnoreRules(
  source: Backend,
  location: string,
  registry: BackendRegistry,
  openOptions: OpenOptions,
): Promise<string | undefined> {
  try {
    return await loadIgnoreFile(source)
  } catch (err) {
    const root = localPathOf(location)
    const file = root === undefined ? undefined : join(root, IGNORE_FILE_NAME)
    if (root !== undefined && isSyncError(err) && err.code === 'PERMISSION') {
      // A source directory this user may not enter fails first on its ignore file, which need not
      // exist: the directory is what to name (QA 20 F7: "local.read (.syncflowignore): EACCES").
      const denied = await access(root, constants.R_OK | constants.X_OK).then(
        () => undefined,
        (e: NodeJS.ErrnoException) => e.code ?? 'EACCES',
      )
      if (denied !== undefined) {
        throw new SyncError('PERMISSION', `cannot read the source directory ${JSON.stringify(root)} (${denied})`, {
          cause: err,
          hint: `Check its permissions (ls -ld ${JSON.stringify(root)}): reading a tree takes read and execute permission on each directory.`,
        })
      }
    }
    if (file === undefined || !(await isSymlink(file))) throw err
    const target = await readlink(file).catch(() => '?')
    if (
      !(await stat(file).then(
        () => true,
        () => false,
      ))
    ) {
      throw new SyncError(
        'USAGE',
        `${IGNORE_FILE_NAME} is a symlink to ${JSON.stringify(target)}, which cannot be read`,
        {
          cause: err,
          hint: `Point the symlink at an existing file, or remove ${file}.`,
        },
      )
    }
    const through = await registry.open(location, { ...openOptions, symlinks: 'follow' })
    try {
      return await loadIgnoreFile(through)
    } finally {
      await through.close().catch(() => {})
    }
  }
}

async function isSymlink(path: string): Promise<boolean> {
  return lstat(path).then(
    (st) => st.isSymbolicLink(),
    () => false,
  )
}

/** Where a local location that is a symlink leading nowhere (dangling, or a loop) points; else undefined. */
async function danglingLink(location: string): Promise<string | undefined> {
  const path = localPathOf(location)
  if (path === undefined || !(await lstat(path).catch(() => undefined))?.isSymbolicLink()) return undefined
  if ((await stat(path).catch(() => undefined)) !== undefined) return undefined
  return readlink(path).catch(() => undefined)
}
