#!/usr/bin/env node
// @ts-check
// The syncflow side of the gRPC benchmark through the library, for when the CLI cannot do it yet:
//   node driver.mjs serve ROOT HOST:PORT        runs the server until SIGTERM
//   node driver.mjs sync SRC grpc://HOST:PORT/  one mirror sync (the engine uses the delta codec for updates)
// It does what `syncflow serve` / `syncflow sync` do (same packages, built dist), minus the CLI.

import { lastValueFrom, toArray } from 'rxjs'

const REPO = new URL('../../', import.meta.url)
const core = await import(new URL('packages/core/dist/index.js', REPO).href)
const grpc = await import(new URL('packages/backend-grpc/dist/index.js', REPO).href)
const local = await import(new URL('packages/backend-local/dist/index.js', REPO).href)

const [command, a, b] = process.argv.slice(2)
if (command === 'serve') {
  await grpc.runServe({ root: a, listen: b, log: (/** @type {string} */ line) => process.stderr.write(`${line}\n`) })
} else if (command === 'sync') {
  const source = local.createLocalBackend({ root: a })
  const target = await grpc.createGrpcBackend({ uri: b })
  const events = await lastValueFrom(core.sync(source, target, { mode: 'mirror' }).pipe(toArray()))
  await target.close()
  const done = events.at(-1)
  process.stdout.write(`${JSON.stringify(done?.summary)}\n`)
  if (!done || done.summary.failed > 0 || done.summary.fatal) process.exit(1)
} else {
  process.stderr.write('usage: driver.mjs serve ROOT HOST:PORT | sync SRC URI\n')
  process.exit(2)
}
