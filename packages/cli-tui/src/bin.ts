#!/usr/bin/env node
import { run } from './cli.js'
import { processStreams } from './output/streams.js'

process.exitCode = await run(process.argv.slice(2), processStreams())
// A safety net, not the normal path: if a leaked handle (a socket, a database) kept the process
// alive after the command finished, exit anyway rather than hang a script. unref'd, so it never
// delays a clean exit.
setTimeout(() => process.exit(), 3000).unref()
