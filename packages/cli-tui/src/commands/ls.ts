import {
  asSyncError,
  createPathFilter,
  excludeIfPresentProblem,
  listSide,
  markerRun,
  SyncError,
  untilAborted,
} from '@syncflow/core'
import { EXIT, type ExitCode, exitCodeForError } from '../errors/exit-codes.js'
import { formatError } from '../errors/format-error.js'
import { assertFlagFilesExpanded } from '../job/assert-flag-files-expanded.js'
import { assertPersistentLocation } from '../job/assert-persistent-location.js'
import { createBuiltinRegistry, isBuiltinLocation } from '../job/builtin-plugins.js'
import { explainMissing } from '../job/explain-missing.js'
import { fileAtLocation, specialAtLocation } from '../job/file-at-location.js'
import { filterOptionsOf } from '../job/filter-options-of.js'
import { registerPlugins } from '../job/load-plugins.js'
import { onInterrupt } from '../job/on-interrupt.js'
import { openOptionsOf } from '../job/open-job.js'
import { specialFileAt } from '../job/special-file-at.js'
import { assertDecodableArgument, assertDecodableCwd } from '../job/undecodable-argument.js'
import { unexpandedTilde } from '../job/unexpanded-tilde.js'
import { assertConfigPathsReadable } from '../options/assert-config-paths-readable.js'
import type { JobFlags } from '../options/job-flags.js'
import { formatEntry } from '../output/format-entry.js'
import { lsFatalLine } from '../output/ls-fatal-line.js'
import { printable } from '../output/printable.js'
import type { Streams } from '../output/streams.js'

/**
 * `syncflow ls URI`: lists a backend recursively in its listing order (UTF-8 byte order), one
 * entry a line, or NDJSON entries with --json; `--exclude`/`--include` leave entries out. Parts that cannot be listed are reported on stderr
 * and give exit 1; a missing root gives exit 2, and with --json a last line `{"fatal": …}` (`lsFatalLine`).
 */
export async function lsCommand(location: string, flags: JobFlags, streams: Streams): Promise<ExitCode> {
  const controller = new AbortController()
  const removeHandlers = onInterrupt(() => controller.abort())
  const errors: SyncError[] = []
  try {
    assertDecodableArgument('the location', location)
    assertPersistentLocation('the location', location)
    assertDecodableCwd('the location', location)
    assertFlagFilesExpanded(flags, [location])
    const registry = createBuiltinRegistry()
    await registerPlugins(registry, flags.plugin)
    await assertConfigPathsReadable(flags.configPaths, [location])
    const backend = await registry.open(location, { ...openOptionsOf(flags), dryRun: true })
    try {
      // (Before the root is asked for: a backend that cannot honour the flag is a usage error.)
      const markerProblem = excludeIfPresentProblem(flags.excludeIfPresent, [backend])
      if (markerProblem !== undefined) throw new SyncError('USAGE', markerProblem)
      // rootExists takes no signal (a server that accepted the connection and went silent answers
      // only at its socket timeout): an interrupt stops waiting for it.
      if (!(await untilAborted(() => backend.rootExists(), controller.signal, 'rootExists'))) {
        // A file (rclone lsl FILE, rsync --list-only FILE): listed as its directory lists it.
        const one = await fileAtLocation(registry, location, openOptionsOf(flags))
        if (one !== undefined) {
          // The filters hold for the one file as for a directory's entries: `ls a/f --exclude f` (or
          // an --include or --files-from that does not name it) listed it all the same, where
          // `rsync --list-only` and `rclone lsl` list nothing. Its path is its name, at the top.
          const filter = createPathFilter(filterOptionsOf(flags))
          if (!filter.empty && filter.isExcluded(one.path, one.kind)) return EXIT.OK
          streams.stdout.write(flags.json ? `${JSON.stringify(one)}\n` : `${formatEntry(one)}\n`)
          return EXIT.OK
        }
        // A device, FIFO or socket exists, but is no directory to list (QA 23 #9: "does not exist").
        const special = specialFileAt(location) ?? (await specialAtLocation(registry, location, openOptionsOf(flags)))
        if (special !== undefined) {
          throw new SyncError('USAGE', `${JSON.stringify(location)} is ${special}, not a directory`, {
            hint: '`syncflow ls` lists a directory tree (a device, FIFO or socket holds none).',
          })
        }
        // The backend's own account, where it has a more precise one (a missing S3 bucket: QA 12 #8).
        await explainMissing(backend, controller.signal)
        throw new SyncError('NOT_FOUND', `${JSON.stringify(location)} does not exist`, {
          hint: missingHint(location),
        })
      }
      const onError = (error: SyncError): void => {
        errors.push(error)
        streams.stderr.write(formatError(error, flags.verbose === true))
      }
      // --exclude/--include as a sync takes them (rclone ls does too): an unsafe name's hint speaks of them.
      const filter = createPathFilter(filterOptionsOf(flags))
      // What a sync would say too (a FIFO, a socket or a device left out), on stderr: the listing on
      // stdout stays entries only (QA 22 #17: they were left out without a word).
      const onNotice = (n: { message: string }): void => {
        streams.stderr.write(`note: ${printable(n.message)}\n`)
      }
      // Through listSide with or without a filter: it validates every path again (QA 30c: a plugin's
      // "../escape.txt" and "/abs.txt" were printed as entries, exit 0, where sync and check report
      // them as INVALID_PATH; a script joining ls --json paths to a directory would leave it).
      // --exclude-if-present: a marked directory is left out with all below it, as a sync leaves it.
      const marker = markerRun(flags.excludeIfPresent, filter, {
        deleteExcluded: false,
        onRoot: () =>
          onNotice({
            message: `the root holds an --exclude-if-present marker (${flags.excludeIfPresent?.join(', ')}): everything is excluded, nothing listed`,
          }),
      })
      const listing = listSide(backend, {
        filter: marker?.filter ?? filter,
        ...(marker ? marker.listing('source') : {}),
        onError,
        onNotice,
        signal: controller.signal,
      })
      for await (const entry of listing) {
        // Stop when interrupted, or when the reader of stdout went away (`syncflow ls | head`).
        if (controller.signal.aborted || streams.stdoutClosed?.()) break
        streams.stdout.write(flags.json ? `${JSON.stringify(entry)}\n` : `${formatEntry(entry)}\n`)
      }
    } finally {
      await backend.close().catch(() => {})
    }
    if (controller.signal.aborted) return EXIT.INTERRUPTED
    // A listing that could not be written (stdout on a full disk: said on stderr by the stream) is
    // not delivered: exit 2, as ls(1) fails, not 0 with part of it in the file (QA 29b).
    if (streams.stdoutFailed?.() !== undefined) return EXIT.USAGE
    return errors.length > 0 ? EXIT.FAILED : EXIT.OK
  } catch (err) {
    if (controller.signal.aborted) return EXIT.INTERRUPTED
    const error = asSyncError(err)
    if (flags.json) streams.stdout.write(lsFatalLine(error))
    streams.stderr.write(formatError(err, flags.verbose === true))
    return exitCodeForError(error)
  } finally {
    removeHandlers()
  }
}

/** How to find what `ls` found nothing at: the advice of its kind of location. */
function missingHint(location: string): string {
  if (!isBuiltinLocation(location)) return 'Check the location: its plugin found nothing there.'
  if (location.startsWith('s3://')) {
    // The listing is of `prefix/` (a directory's): keys that merely start with `prefix` (`p1/a` for
    // `p`) are not in it, so "no key starts with that prefix" was false for them (QA 23 #9).
    const prefix = /^s3:\/\/[^/]*\/*(.*?)\/*$/.exec(location)?.[1] ?? ''
    const what = prefix === '' ? 'the bucket holds no key' : `no key under \`${prefix}/\``
    return `Check the bucket and prefix: ${what} (\`syncflow ls s3://BUCKET\` lists the top).`
  }
  // A quoted '~/x' or '~user/x' (QA 32a): the shell expands a ~ only unquoted, and syncflow does not.
  const tilde = unexpandedTilde(location)
  if (tilde?.home !== undefined) {
    return `Check the path: a ~ is expanded by the shell only at the start of an unquoted word, and syncflow does not: write ${JSON.stringify(`${tilde.home}${tilde.rest}`)}.`
  }
  return 'Check the path or URI (a bare path is a local directory).'
}
