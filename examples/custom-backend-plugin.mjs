#!/usr/bin/env node
// @ts-check
// A third-party backend plugged into syncflow: `json://` (see json-backend.mjs) keeps a whole
// tree in one JSON file. The script registers it beside the local backend, snapshots a directory
// into a JSON file, then restores that snapshot into another directory, both with `sync()` and
// the same URIs a user would give the CLI (`syncflow sync DIR json:///x.json --plugin ./examples/json-backend.mjs`).
//
//   node examples/custom-backend-plugin.mjs [SOURCE_DIR] [SNAPSHOT.json] [RESTORE_DIR]
//
// SOURCE_DIR defaults to examples/sample-tree; the snapshot and the restored tree go into a new
// temporary directory unless given.

import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { localBackend } from '@syncflow/backend-local'
import { BackendRegistry, MemoryStateStore, sync } from '@syncflow/core'
import { filter, lastValueFrom, map } from 'rxjs'
import { jsonBackend } from './json-backend.mjs'

/**
 * @typedef {import('@syncflow/core').Backend} Backend
 * @typedef {import('@syncflow/core').SyncSummary} SyncSummary
 */

const here = path.dirname(fileURLToPath(import.meta.url))
const scratch = process.argv[3] === undefined || process.argv[4] === undefined
const work = scratch ? await mkdtemp(path.join(tmpdir(), 'syncflow-json-')) : ''
const sourceDir = process.argv[2] ?? path.join(here, 'sample-tree')
const snapshot = process.argv[3] ?? path.join(work, 'snapshot.json')
const restoreDir = process.argv[4] ?? path.join(work, 'restored')

// A registry of our own (the default one, through `registerBackend`, works the same way).
const registry = new BackendRegistry()
registry.register(localBackend)
registry.register(jsonBackend)
console.log(`schemes: ${registry.schemes().join(', ')}`)
console.log(`plugin: { name: ${JSON.stringify(jsonBackend.name)}, schemes: ${JSON.stringify(jsonBackend.schemes)} }`)

await mirror(sourceDir, `json://${snapshot}`, 'snapshot')
await mirror(`json://${snapshot}`, restoreDir, 'restore')

/**
 * Opens both locations through the registry and mirrors one into the other.
 * @param {string} from
 * @param {string} to
 * @param {string} label
 */
async function mirror(from, to, label) {
  const source = await registry.open(from)
  const target = await registry.open(to)
  try {
    const summary = await lastValueFrom(
      // A memory state store: these jobs are one-off, nothing needs remembering.
      sync(source, target, { mode: 'mirror', state: new MemoryStateStore() }).pipe(
        filter((e) => e.type === 'done'),
        map((e) => e.summary),
      ),
    )
    console.log(`${label}: ${source.uri} -> ${target.uri}: ${describe(summary)}`)
    if (summary.fatal || summary.failed > 0) process.exitCode = 1
  } finally {
    await Promise.all([source.close(), target.close()])
  }
}

/**
 * @param {SyncSummary} s
 * @returns {string}
 */
function describe(s) {
  if (s.fatal) return `failed: ${s.fatal.message}`
  return `${s.done.copy} copied, ${s.done.update} updated, ${s.done.delete} deleted, ${s.failed} failed, ${s.bytesTransferred} bytes`
}
