#!/usr/bin/env node
// @ts-check
// A custom script that composes its own pipeline from the operators of @syncflow/core instead of
// calling `sync()`: it copies only the files a filter selects from one local directory to another
// (copy mode: nothing is deleted) and logs a throughput line for every `stats` event.
//
//   listSide ─┐
//             ├─ diff ─ plan ─ (actions only) ─ transfer ─ record ─ throughput ─▶ SyncEvents
//   listSide ─┘
//
//   node examples/filtered-copy-with-throughput.mjs [SOURCE_DIR] [TARGET_DIR] [--include GLOB]… [--exclude GLOB]…
//
// SOURCE_DIR defaults to examples/sample-tree, TARGET_DIR to a new temporary directory. Without
// --include/--exclude it copies `*.md` and `*.txt` files except those under `logs/`.

import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createLocalBackend } from '@syncflow/backend-local'
import {
  acquireJobLock,
  Backlog,
  commonHash,
  createPathFilter,
  diff,
  jobIdOf,
  listSide,
  openStateStore,
  plan,
  record,
  throughput,
  transfer,
} from '@syncflow/core'
import { EMPTY, finalize, lastValueFrom, merge, mergeMap, of, Subject, tap } from 'rxjs'

/**
 * @typedef {import('@syncflow/core').Action} Action
 * @typedef {import('@syncflow/core').StatsEvent} StatsEvent
 * @typedef {import('@syncflow/core').SyncError} SyncError
 * @typedef {import('@syncflow/core').SyncEvent} SyncEvent
 */

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { include: { type: 'string', multiple: true }, exclude: { type: 'string', multiple: true } },
})
const here = path.dirname(fileURLToPath(import.meta.url))
const sourceDir = positionals[0] ?? path.join(here, 'sample-tree')
const targetDir = positionals[1] ?? (await mkdtemp(path.join(tmpdir(), 'syncflow-filtered-')))
const chosen = values.include !== undefined || values.exclude !== undefined
const pathFilter = createPathFilter({
  include: values.include ?? (chosen ? [] : ['*.md', '*.txt']),
  exclude: values.exclude ?? (chosen ? [] : ['logs']),
})

const source = createLocalBackend({ root: sourceDir })
const target = createLocalBackend({ root: targetDir })
// As `sync()` does: a missing source (a typo) is an error, not an empty tree (QA 19 #3).
if (!(await source.rootExists())) {
  console.error(`source ${source.uri} does not exist`)
  process.exit(2)
}
const jobId = jobIdOf(source.uri, target.uri)
const lock = await acquireJobLock(jobId)
const state = await openStateStore(undefined, { jobId })

/** @type {SyncError[]} */
const listingErrors = []
let copied = 0
let failed = 0
try {
  const listOptions = { filter: pathFilter, onError: (/** @type {SyncError} */ e) => listingErrors.push(e) }
  // At most this many pairs between the listing and the end of the pipeline: memory stays flat
  // however big the trees are (the listing waits for room; settled items release it).
  const backlog = new Backlog(1024)

  // `planned` events travel beside the pipeline (as in `sync()`), so `throughput` knows the totals.
  /** @type {Subject<SyncEvent>} */
  const planned$ = new Subject()
  const work$ = diff(listSide(source, listOptions), listSide(target, listOptions), { backlog }).pipe(
    plan({
      source,
      target,
      mode: 'copy',
      compare: 'size-mtime',
      modifyWindowMs: Math.max(source.capabilities.mtimePrecisionMs, target.capabilities.mtimePrecisionMs),
      hashAlgo: commonHash(source, target),
      notice: (code, message) => console.error(`notice ${code}: ${message}`),
      state,
    }),
    // Keep the actions; a pair that needs nothing (or could not be decided) leaves the pipeline here.
    mergeMap((outcome) => {
      const d = outcome.decision
      if (d.kind === 'action') {
        planned$.next({ type: 'planned', ts: Date.now(), action: d.action })
        return of(/** @type {Action} */ (d.action))
      }
      backlog.release()
      if (d.kind === 'error') console.error(`cannot decide ${outcome.pair.path}: ${d.error.message}`)
      return EMPTY
    }),
    transfer({ source, target, concurrency: 4, onSettled: () => backlog.release() }),
    record(state),
    finalize(() => planned$.complete()),
  )
  const events$ = merge(planned$, work$).pipe(throughput({ intervalMs: 250 }))

  await lastValueFrom(
    events$.pipe(
      tap((event) => {
        if (event.type === 'stats') console.log(statsLine(event))
        else if (event.type === 'completed') {
          // Files only: a directory made on the way is not something the user asked to copy.
          if (event.action.kind !== 'mkdir') copied++
          console.log(`${event.action.kind} ${event.action.path} (${event.bytes} bytes)`)
        } else if (event.type === 'failed') {
          failed++
          console.error(`failed ${event.path}: ${event.error.message}`)
        }
      }),
    ),
    { defaultValue: undefined },
  )
  for (const e of listingErrors) console.error(`listing error: ${e.message}`)
  console.log(`done: ${copied} file(s) written, ${failed} failed, into ${target.uri}`)
  process.exitCode = failed + listingErrors.length > 0 ? 1 : 0
} finally {
  await state.close()
  await lock.release()
  await Promise.all([source.close(), target.close()])
}

/**
 * @param {StatsEvent} s
 * @returns {string}
 */
function statsLine(s) {
  const kib = (/** @type {number} */ n) => `${(n / 1024).toFixed(1)} KiB`
  return (
    `stats: ${s.filesDone}/${s.filesPlanned} files, ${kib(s.bytesDone)}/${kib(s.bytesPlanned)}, ` +
    `${kib(s.bytesPerSec)}/s, ${s.filesPerSec.toFixed(1)} files/s, ${s.inFlight} in flight` +
    `${s.listing ? ', still listing' : ''}`
  )
}
