#!/usr/bin/env node
// @ts-check
// Mirrors one local directory into another with `sync()`, the way the `syncflow sync` command
// does it: the job lock, the default state store (SQLite in $SYNCFLOW_STATE_DIR, else the user's
// state directory), the source's .syncflowignore. It runs twice and prints both summaries: the
// second run finds nothing to do.
//
//   node examples/mirror-with-summary.mjs [SOURCE_DIR] [TARGET_DIR]
//
// SOURCE_DIR defaults to examples/sample-tree, TARGET_DIR to a new temporary directory.

import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { localBackend } from '@syncflow/backend-local'
import {
  acquireJobLock,
  createPathFilter,
  jobIdOf,
  loadIgnoreFile,
  openBackend,
  openStateStore,
  registerBackend,
  sync,
} from '@syncflow/core'
import { filter, lastValueFrom, map } from 'rxjs'

/** @typedef {import('@syncflow/core').SyncSummary} SyncSummary */

const here = path.dirname(fileURLToPath(import.meta.url))
const sourceDir = process.argv[2] ?? path.join(here, 'sample-tree')
const targetDir = process.argv[3] ?? (await mkdtemp(path.join(tmpdir(), 'syncflow-mirror-')))

// Plugins register nothing at import time: the application decides what it offers.
registerBackend(localBackend)
const source = await openBackend(sourceDir)
const target = await openBackend(targetDir)

// One job per (source, target) pair: its lock and its state are found by this id.
const jobId = jobIdOf(source.uri, target.uri)
const lock = await acquireJobLock(jobId)
const state = await openStateStore(undefined, { jobId })
try {
  const ignoreRules = await loadIgnoreFile(source)
  const options = {
    mode: /** @type {const} */ ('mirror'),
    state,
    filter: createPathFilter(ignoreRules !== undefined ? { ignoreRules } : {}),
  }
  let failed = 0
  for (const run of [1, 2]) {
    // `sync` is cold: each subscription is a new run. Its last event is always `done`.
    const summary = await lastValueFrom(
      sync(source, target, options).pipe(
        filter((e) => e.type === 'done'),
        map((e) => e.summary),
      ),
    )
    console.log(`run ${run}: ${describe(summary)}`)
    failed += summary.failed + (summary.fatal ? 1 : 0)
  }
  console.log(`mirrored ${source.uri} into ${target.uri}`)
  process.exitCode = failed > 0 ? 1 : 0
} finally {
  // State first, then the lock that protects it.
  await state.close()
  await lock.release()
  await Promise.all([source.close(), target.close()])
}

/**
 * One line per run.
 * @param {SyncSummary} s
 */
function describe(s) {
  if (s.fatal) return `failed: ${s.fatal.message}${s.fatal.hint ? ` (${s.fatal.hint})` : ''}`
  const changed = s.done.copy + s.done.update + s.done.delete + s.done.touch + s.done.mkdir
  const counts =
    `${s.done.copy} copied, ${s.done.update} updated, ${s.done.delete} deleted, ${s.done.mkdir} dirs made, ` +
    `${s.unchanged} unchanged, ${s.failed} failed`
  const volume = `${s.bytesTransferred} bytes in ${(s.durationMs / 1000).toFixed(2)} s`
  const notes = [
    ...(s.deletesSuppressed ? [`deletes suppressed: ${s.deletesSuppressed}`] : []),
    ...(changed === 0 && s.failed === 0 ? ['nothing to do'] : []),
  ]
  return [counts, volume, ...notes].join('; ')
}
