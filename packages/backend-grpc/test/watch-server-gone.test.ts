import { mkdir, mkdtemp, realpath, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SyncError } from '@syncflow/core'
import { writeText } from '@syncflow/core/testkit'
import type { Subscription } from 'rxjs'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createGrpcBackend, type GrpcBackend } from '../src/index.js'
import { startTestServer } from './helpers.js'

// QA 10 #7: a watch of a grpc:// source whose server went away failed with grpc-js's words,
// `TRANSIENT: grpc.watch: Call cancelled`, where the user needs to hear that the connection was lost.

let tmp: string
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'watch-server-gone-'))
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

/** A watch of `source`'s directory (made first), once live: it has reported a change. */
async function liveWatch(source: GrpcBackend): Promise<{ sub: Subscription; failure: () => SyncError | undefined }> {
  await writeText(source, 'first.txt', 'x') // the watched directory exists
  const changes: string[] = []
  let failure: SyncError | undefined
  const sub = source.watch().subscribe({
    next: (c) => changes.push(c.path),
    error: (err: SyncError) => (failure = err),
  })
  await writeText(source, 'a.txt', 'a')
  await expect.poll(() => changes).toContain('a.txt')
  return { sub, failure: () => failure }
}

it("a watch whose server shuts down fails with TRANSIENT naming the lost connection, not grpc-js's 'Call cancelled'", async () => {
  const { server, stop } = await startTestServer({ root: tmp })
  const source = await createGrpcBackend({ uri: `grpc://127.0.0.1:${server.port}/w` })
  try {
    const watch = await liveWatch(source)

    await server.close({ graceMs: 0 })
    await expect.poll(watch.failure).toBeDefined()
    watch.sub.unsubscribe()
    expect(watch.failure()).toMatchObject({
      code: 'TRANSIENT',
      op: 'grpc.watch',
      message: `TRANSIENT: grpc.watch: lost the connection to 127.0.0.1:${server.port} (the server stopped, or the connection was cut)`,
      hint: expect.stringContaining(`syncflow serve\` is running at 127.0.0.1:${server.port}`),
    })
  } finally {
    await source.close()
    await stop()
  }
})

// QA 28d: a served directory replaced under a watch (`mv w w.old; mkdir w` on the server) failed the
// client's watch, as it should, but its hint named the server's own path ("Watch /srv/data/w again
// and rescan it."): the message hides the served root, the hint did not.
it("a watch whose served directory is replaced fails TRANSIENT, telling nothing of the server's filesystem", async () => {
  const { server, stop } = await startTestServer({ root: tmp })
  const source = await createGrpcBackend({ uri: `grpc://127.0.0.1:${server.port}/r` })
  try {
    const watch = await liveWatch(source)

    await rename(join(tmp, 'r'), join(tmp, 'r.old'))
    await mkdir(join(tmp, 'r'))
    await expect.poll(watch.failure, { timeout: 10_000 }).toBeDefined()
    watch.sub.unsubscribe()
    const failure = watch.failure()
    expect(failure).toMatchObject({ code: 'TRANSIENT', op: 'grpc.watch' })
    const told = `${failure?.message} ${failure?.hint ?? ''} ${failure?.path ?? ''}`
    expect(told).not.toContain(tmp)
    expect(told).not.toContain(await realpath(tmp))
  } finally {
    await source.close()
    await stop()
  }
})
