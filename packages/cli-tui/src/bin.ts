#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8'
import { run } from './cli.js'
import { processStreams } from './output/streams.js'
import { staleBundle } from './stale-bundle.js'

// Memory stays flat as trees grow: V8 doubles its young generation (up to 2 x 16 MiB) whenever many
// objects survive a scavenge, which a listing's window of entries always does on a long run. The live
// heap of a sync stays about 10 MiB whatever the tree, so that growth only bought fewer scavenges: at
// 100,000 files it was +23 MiB of RSS (1.45x the 10,000-file figure) for ~4% less CPU. V8 reads the
// flag each time the young generation would grow, so setting it here, once running, takes effect.
setFlagsFromString('--semi-space-growth-factor=1')

// No UV_THREADPOOL_SIZE here: an ES module entry is read through libuv's thread pool, so the pool
// already exists when this code runs and the variable would be ignored (it was, until this note).
const stale = staleBundle()
const entry: { run: typeof run; processStreams: typeof processStreams } = stale
  ? await import(stale.href)
  : { run, processStreams }
if (stale) {
  process.stderr.write(
    'syncflow: dist/bin.js is older than the TypeScript build: running the unbundled modules (run `npm run build`)\n',
  )
}
process.exitCode = await entry.run(process.argv.slice(2), entry.processStreams())
// A safety net, not the normal path: if a leaked handle (a socket, a database) kept the process
// alive after the command finished, exit anyway rather than hang a script. unref'd, so it never
// delays a clean exit.
setTimeout(() => process.exit(), 3000).unref()
