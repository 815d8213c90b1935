#!/usr/bin/env node
import { MIN_OPEN_FILES, openFilesLimit } from '@syncflow/core'
import type { run } from './cli.js'
import { dropIpServernameWarning } from './output/drop-ip-servername-warning.js'
import type { processStreams } from './output/streams.js'
import { staleBundle } from './stale-bundle.js'
import { capYoungGeneration, leaveYoungGenerationUncapped } from './young-generation-cap.js'

// Memory stays flat as trees grow (see young-generation-cap.ts). A continuous job absorbs bursts,
// and the UI draws frames beside the run, faster with V8's own limit, a constant whatever the tree.
const command = process.argv[2]
if (command === 'watch' || command === 'ui') leaveYoungGenerationUncapped()
else capYoungGeneration()

// grpcs:// to an IP address would print Node's DEP0123 warning on every run (see the function).
dropIpServernameWarning()

// No UV_THREADPOOL_SIZE here: an ES module entry is read through libuv's thread pool, so the pool
// already exists when this code runs and the variable would be ignored (it was, until this note).
const stale = staleBundle()
if (stale) {
  process.stderr.write(
    'syncflow: dist/bin.js is older than the TypeScript build: running the unbundled modules (run `npm run build`)\n',
  )
}
// Below the least open-files limit the run would die loading its own modules, with a stack trace.
// So the commands are loaded only after this check: imported up front, with the files Node loads
// them from all open at once, they took the limit before it ran (CI under ulimit -n 32, once the
// bundle had grown by two chunks).
const limit = openFilesLimit()
if (limit !== undefined && limit < MIN_OPEN_FILES) {
  process.stderr.write(
    `syncflow: this process may have only ${limit} files open (ulimit -n); syncflow needs at least ${MIN_OPEN_FILES}\n  Raise the limit (ulimit -n 1024, LimitNOFILE= of a systemd service) and run it again.\n`,
  )
  process.exitCode = 2
} else {
  // Node ends a process whose top-level await can never settle (nothing left to wake it: a
  // plugin's open() or call returning a promise it never settles) with exit code 13 and not a
  // word: outside syncflow's exit codes, and a script read it as nothing at all (QA 25).
  let finished = false
  process.on('exit', (code) => {
    // Node 20 tells the listener 0 (the code it is about to replace by 13), later ones 13.
    if (finished || (code !== 0 && code !== 13)) return
    process.stderr.write(
      'syncflow: stopped: the command was waiting for something that can never happen (a promise nothing will settle, as a --plugin call that never answers may leave)\n  If a --plugin is in use, report it to its author; else this is a bug in syncflow.\n',
    )
    process.exitCode = 2
  })
  const entry: { run: typeof run; processStreams: typeof processStreams } = stale
    ? await import(stale.href)
    : await Promise.all([import('./cli.js'), import('./output/streams.js')]).then(([cli, streams]) => ({
        run: cli.run,
        processStreams: streams.processStreams,
      }))
  process.exitCode = await entry.run(process.argv.slice(2), entry.processStreams())
  finished = true
}
// A safety net, not the normal path: if a leaked handle (a socket, a database) kept the process
// alive after the command finished, exit anyway rather than hang a script. unref'd, so it never
// delays a clean exit.
setTimeout(() => process.exit(), 3000).unref()
