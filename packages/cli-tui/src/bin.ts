#!/usr/bin/env node
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'
import { run } from './cli.js'
import { dropIpServernameWarning } from './output/drop-ip-servername-warning.js'
import { processStreams } from './output/streams.js'
import { staleBundle } from './stale-bundle.js'

// Memory stays flat as trees grow: V8 doubles its young generation (up to 2 x 16 MiB) whenever many
// objects survive a scavenge, which a listing's window of entries always does on a long run. The live
// heap of a sync stays about 10 MiB whatever the tree, so growth past a few MiB only buys fewer
// scavenges: at 100,000 files it was +23 MiB of RSS (1.43x the 10,000-file figure). Keeping it at its
// first size from the start (growth factor 1) flattened memory but cost an initial sync of 10,000
// small files ~460 scavenges instead of ~60 (+0.1-0.2 s of CPU). So it may grow to 8 MiB (both
// semi-spaces), then stops: V8 reads the flag each time the young generation would grow, so setting
// it once running takes effect. Measured on a no-op re-sync: 100,000 files 70.7 MiB, 10,000 files
// 67 MiB (1.05x). A poll, not a GC hook: it may see 8 MiB one growth late (then it stays at 16).
// It polls for 10 s at most, then freezes the size it has (an idle `watch` need not wake 200 times a
// second forever; anything that allocates a lot has grown by then).
const YOUNG_GENERATION_CAP = 8 * 1024 * 1024
const capUntil = Date.now() + 10_000
const capYoung = setInterval(() => {
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')
  if (young === undefined || young.space_size >= YOUNG_GENERATION_CAP || Date.now() > capUntil) {
    setFlagsFromString('--semi-space-growth-factor=1')
    clearInterval(capYoung)
  }
}, 5)
capYoung.unref()

// grpcs:// to an IP address would print Node's DEP0123 warning on every run (see the function).
dropIpServernameWarning()

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
