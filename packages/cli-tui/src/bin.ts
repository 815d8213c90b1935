#!/usr/bin/env node
import { run } from './cli.js'
import { processStreams } from './output/streams.js'

// Local syncs are bound by fs round trips (open, write, fsync, rename per file) that libuv runs on
// its thread pool, 4 threads by default: more threads keep more fsyncs in flight. Must be set before
// the first thread-pool job, which none of the static imports above starts.
process.env.UV_THREADPOOL_SIZE ??= '16'
process.exitCode = await run(process.argv.slice(2), processStreams())
// A safety net, not the normal path: if a leaked handle (a socket, a database) kept the process
// alive after the command finished, exit anyway rather than hang a script. unref'd, so it never
// delays a clean exit.
setTimeout(() => process.exit(), 3000).unref()
