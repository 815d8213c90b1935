#!/usr/bin/env node
// @ts-check
// Plugin-API review: a mirror composed from the exported operators, as README "Library" says
// (listSide → diff → plan → transfer(facts) → record), into a plugin backend opened through a
// BackendRegistry with guardPlugin, as the CLI's --plugin does.
//   node examples/plugin-review/mirror-pipeline.mjs SRC_DIR gzdir:///DST
import { createLocalBackend } from '@syncflow/backend-local'
import {
  BackendRegistry,
  Backlog,
  commonHash,
  diff,
  guardPlugin,
  listingErrorHoldsDeletes,
  listSide,
  MemoryStateStore,
  plan,
  record,
  transfer,
} from '@syncflow/core'
import { EMPTY, lastValueFrom, mergeMap, of, tap } from 'rxjs'
import { gzdirBackend } from './gzdir-backend.mjs'

const [srcDir, dstUri] = process.argv.slice(2)
const registry = new BackendRegistry()
registry.register(guardPlugin(gzdirBackend, 'syncflow-backend-gzdir'))
const source = createLocalBackend({ root: srcDir ?? '.' })
const target = await registry.open(dstUri ?? 'gzdir:///tmp/gz')
if (!(await source.rootExists())) {
  console.error('source missing')
  process.exit(2)
}
const state = new MemoryStateStore()
/** @type {import('@syncflow/core').SyncError[]} */
const errors = []
const onError = (/** @type {import('@syncflow/core').SyncError} */ e) => errors.push(e)
let sourceFiles = 0
let targetFiles = 0
let planFailures = 0
/**
 * @param {AsyncIterable<import('@syncflow/core').Entry>} it
 * @param {(n: number) => void} count
 */
async function* counted(it, count) {
  let n = 0
  for await (const e of it) {
    if (e.kind === 'file') count(++n)
    yield e
  }
}
const backlog = new Backlog(256)
let exit = 0
await lastValueFrom(
  diff(
    counted(listSide(source, { onError }), (n) => (sourceFiles = n)),
    counted(listSide(target, { onError, cleanUp: true }), (n) => (targetFiles = n)),
    { backlog },
  ).pipe(
    plan({
      source,
      target,
      mode: 'mirror',
      compare: 'size-mtime',
      modifyWindowMs: Math.max(source.capabilities.mtimePrecisionMs, target.capabilities.mtimePrecisionMs),
      hashAlgo: commonHash(source, target),
      notice: (code, message) => console.error(`notice ${code}: ${message}`),
      state,
    }),
    mergeMap((outcome) => {
      const d = outcome.decision
      if (d.kind === 'action') return of(d.action)
      backlog.release()
      if (d.kind === 'error') planFailures++
      return EMPTY
    }),
    transfer({
      source,
      target,
      deletesPlanned: true,
      onSettled: () => backlog.release(),
      facts: () => ({
        sourceFiles,
        targetFiles,
        listingErrors: errors.filter(listingErrorHoldsDeletes).length,
        planFailures,
      }),
    }),
    record(state),
    tap((e) => {
      if (e.type === 'completed') console.log(`${e.action.kind} ${e.action.path}`)
      else if (e.type === 'failed') {
        exit = 1
        console.error(`failed ${e.path}: ${e.error.code} ${e.error.message}`)
      } else if (e.type === 'notice') console.error(`notice ${e.code}: ${e.message}`)
      else if (e.type === 'skipped') console.log(`skipped ${e.action.path}: ${e.reason}`)
    }),
  ),
  { defaultValue: undefined },
)
for (const e of errors) console.error(`listing error: ${e.code} ${e.message}`)
await Promise.all([source.close(), target.close(), state.close()])
process.exit(errors.length > 0 ? 1 : exit)
