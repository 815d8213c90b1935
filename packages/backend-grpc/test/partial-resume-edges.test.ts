import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { createLocalBackend, partialPathOf } from '@syncflow/backend-local'
import { type DoneEvent, MemoryStateStore, type RelPath, type SyncEvent, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { pseudoRandom, serverBehindProxy, slowBody } from './helpers.js'

// Interrupted uploads to a syncflow serve at their edges (the review of stop 41, each test a finding
// it proved before its fix): stops and cuts during a resume, partials of removed directories and
// small rewrites, --bwlimit, two clients on one path, a patch that ends early.

const SIZE = 16 << 20
const env = serverBehindProxy('grpc-partial-edges-')

/** The temp files of uploads under way in the served root (not the kept partials, `.syncflow-tmp-0-…`). */
async function uploadsUnderWay(): Promise<string[]> {
  return (await readdir(env.srv.dir)).filter((n) => n.startsWith('.syncflow-tmp-') && !n.startsWith('.syncflow-tmp-0-'))
}

/** Interrupts an upload of `rel` through the proxy after `cutAt` bytes; resolves once the server kept its partial. */
async function leavePartial(rel: string, data: Buffer, cutAt: number): Promise<string> {
  const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/` })
  try {
    env.proxy.cut(cutAt)
    const err = await target
      .write(rel as RelPath, slowBody(data), { mtimeMs: 1, size: data.length })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'TRANSIENT' })
  } finally {
    await target.close()
  }
  const partial = join(env.srv.dir, partialPathOf(rel))
  await expect
    .poll(
      () =>
        stat(partial).then(
          () => true,
          () => false,
        ),
      { timeout: 10_000 },
    )
    .toBe(true)
  return partial
}

describe('kept partial uploads', () => {
  it('a mirror deletes a directory whose only content is a kept partial (the source removed it)', async () => {
    await mkdir(join(env.srv.dir, 'd'), { recursive: true })
    await leavePartial('d/big.bin', pseudoRandom(SIZE, 41), 6 << 20)
    const src = join(env.local, 'empty-src')
    await mkdir(src, { recursive: true })
    const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/` })
    const events: SyncEvent[] = await lastValueFrom(
      sync(createLocalBackend({ root: src }), target, { mode: 'mirror', state: new MemoryStateStore() }).pipe(
        toArray(),
      ),
    )
    await target.close()
    const done = events.at(-1) as DoneEvent
    expect(done.summary.failed).toBe(0)
    // A mirror of an empty source leaves an empty target.
    expect(await readdir(env.srv.dir)).not.toContain('d')
  })

  it('a file written smaller than 1 MiB after an interrupted upload of it drops the old partial', async () => {
    const partial = await leavePartial('shrunk.bin', pseudoRandom(SIZE, 42), 6 << 20)
    const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/` })
    const small = pseudoRandom(100_000, 43)
    await target.write('shrunk.bin' as RelPath, Readable.from([small]), { mtimeMs: 2, size: small.length })
    await target.close()
    expect((await readFile(join(env.srv.dir, 'shrunk.bin'))).equals(small)).toBe(true)
    // The file is written whole: its partial is of no more use (and holds 5+ MiB for a day).
    expect(
      await stat(partial).then(
        (s) => s.size,
        () => 'gone',
      ),
    ).toBe('gone')
  })

  it('a resume that is itself interrupted early does not throw away most of the bytes kept before', async () => {
    const data = pseudoRandom(SIZE, 44)
    const partial = await leavePartial('shrink.bin', data, 13 << 20)
    const before = (await stat(partial)).size
    expect(before).toBeGreaterThan(8 << 20)
    const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/` })
    const ac = new AbortController()
    // The resumed patch's temp file: stop the run once it holds 2 MiB (Ctrl-C).
    const watching = (async () => {
      await expect
        .poll(
          async () => {
            for (const n of await readdir(env.srv.dir)) {
              if (n.startsWith('.syncflow-tmp-') && join(env.srv.dir, n) !== partial) {
                const s = await stat(join(env.srv.dir, n)).catch(() => undefined)
                if (s && s.size >= 2 << 20) return true
              }
            }
            return false
          },
          { timeout: 20_000, interval: 5 },
        )
        .toBe(true)
      ac.abort()
    })()
    const slower = Readable.from(
      (async function* () {
        for (let off = 0; off < data.length; off += 64 * 1024) {
          yield data.subarray(off, off + 64 * 1024)
          await new Promise((r) => setTimeout(r, 5))
        }
      })(),
    )
    const err = await target
      .write('shrink.bin' as RelPath, slower, { mtimeMs: 1, size: data.length }, { signal: ac.signal })
      .catch((e: unknown) => e)
    await watching
    await target.close()
    expect(err).toMatchObject({ code: 'ABORTED' })
    // Once the server let go of the aborted patch (its temp file kept or removed).
    await expect.poll(uploadsUnderWay, { timeout: 10_000 }).toEqual([])
    const after = (await stat(partial)).size
    expect(after).toBeGreaterThanOrEqual(before)
  })

  it('--bwlimit limits what crosses the wire, not the file read for a resume', async () => {
    const data = pseudoRandom(8 << 20, 45)
    const src = join(env.local, 'bw')
    await mkdir(src, { recursive: true })
    await writeFile(join(src, 'bw.bin'), data)
    await leavePartial('bw.bin', data, 7 << 20)
    const kept = (await stat(join(env.srv.dir, partialPathOf('bw.bin')))).size
    const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/` })
    env.proxy.reset()
    const t0 = performance.now()
    const events: SyncEvent[] = await lastValueFrom(
      sync(createLocalBackend({ root: src }), target, {
        mode: 'copy',
        bwlimit: 1 << 20,
        state: new MemoryStateStore(),
      }).pipe(toArray()),
    )
    const seconds = (performance.now() - t0) / 1000
    await target.close()
    const done = events.at(-1) as DoneEvent
    expect(events).toContainEqual(expect.objectContaining({ type: 'notice', code: 'UPLOAD_RESUMED' }))
    expect(done.summary.bytesTransferred).toBeLessThan(data.length - kept + (1 << 20))
    // About 2 MiB crossed the wire: at 1 MiB/s (plus the limiter's burst) about 2 s, where the whole
    // file read through the limit took 8 s.
    expect(seconds).toBeLessThan(data.length / (1 << 20) - 2)
  }, 30_000)

  it('--bwlimit still holds a whole upload (the backend meters what it sends)', async () => {
    const data = pseudoRandom(6 << 20, 51)
    const src = join(env.local, 'bw-whole')
    await mkdir(src, { recursive: true })
    await writeFile(join(src, 'whole.bin'), data)
    const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/` })
    const t0 = performance.now()
    const events: SyncEvent[] = await lastValueFrom(
      sync(createLocalBackend({ root: src }), target, { mode: 'copy', bwlimit: 2 << 20 }).pipe(toArray()),
    )
    const seconds = (performance.now() - t0) / 1000
    await target.close()
    expect((events.at(-1) as DoneEvent).summary.failed).toBe(0)
    // 6 MiB at 2 MiB/s, less the limiter's quarter-second burst: never faster than that.
    expect(seconds).toBeGreaterThan((6 - 0.5) / 2)
  }, 30_000)

  it('an upload of a path another client is uploading is not held until that one ends', async () => {
    const a = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.srv.server.port}/` })
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.srv.server.port}/` })
    // Client A: sends 2 MiB of 16, then nothing (a slow or --bwlimit'ed client, a paused laptop).
    let release!: () => void
    const released = new Promise<void>((r) => {
      release = r
    })
    const data = pseudoRandom(SIZE, 46)
    const stalled = Readable.from(
      (async function* () {
        yield data.subarray(0, 2 << 20)
        await released
        yield data.subarray(2 << 20)
      })(),
    )
    const aWrite = a.write('same.bin' as RelPath, stalled, { mtimeMs: 1, size: SIZE }).catch((e: unknown) => e)
    await expect.poll(async () => (await uploadsUnderWay()).length > 0).toBe(true)
    // Client B: its own 2 MiB version of the file.
    const other = pseudoRandom(2 << 20, 47)
    let bDone = false
    const bWrite = b.write('same.bin' as RelPath, Readable.from([other]), { mtimeMs: 2, size: other.length }).then(
      (e) => {
        bDone = true
        return e
      },
      (e: unknown) => {
        bDone = true
        return e
      },
    )
    try {
      // B asks for the path's partial first: that waits for A's upload of it a moment at most (it
      // waited on an exclusive lock, for as long as A took: up to the 1 h quiet limit).
      await expect.poll(() => bDone, { timeout: 8_000 }).toBe(true)
    } finally {
      release()
      await aWrite
      await bWrite
      await a.close()
      await b.close()
      await rm(join(env.srv.dir, 'same.bin'), { force: true })
    }
  }, 30_000)
})

describe('a run stopped during a resume', () => {
  it('keeps the partial it resumed from (or a longer one)', async () => {
    const data = pseudoRandom(SIZE, 48)
    const src = join(env.local, 'stop-resume')
    await mkdir(src, { recursive: true })
    await writeFile(join(src, 'sr.bin'), data)
    const partial = await leavePartial('sr.bin', data, 8 << 20)
    const before = (await stat(partial)).size
    const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/` })
    const ac = new AbortController()
    const run = lastValueFrom(
      sync(createLocalBackend({ root: src }), target, {
        mode: 'copy',
        bwlimit: 4 << 20,
        signal: ac.signal,
        state: new MemoryStateStore(),
      }).pipe(toArray()),
    )
    // Ctrl-C once the resumed patch is under way (its temp file beside the partial).
    await expect.poll(async () => (await uploadsUnderWay()).length > 0, { timeout: 20_000, interval: 5 }).toBe(true)
    ac.abort()
    await run
    await target.close()
    await expect.poll(uploadsUnderWay, { timeout: 10_000 }).toEqual([])
    const after = await stat(partial).then(
      (s) => s.size,
      () => 0,
    )
    expect(await readdir(env.srv.dir)).not.toContain('sr.bin')
    expect(after).toBeGreaterThanOrEqual(before)
  }, 60_000)
})

describe('a resume cut in turn', () => {
  it('keeps what it had (the partial it resumed from, or more)', async () => {
    const data = pseudoRandom(SIZE, 49)
    const partial = await leavePartial('cut2.bin', data, 8 << 20)
    const before = (await stat(partial)).size
    const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/` })
    env.proxy.reset()
    env.proxy.cut(2 << 20)
    const err = await target
      .write('cut2.bin' as RelPath, slowBody(data), { mtimeMs: 1, size: data.length })
      .catch((e: unknown) => e)
    await target.close()
    expect(err).toMatchObject({ code: 'TRANSIENT' })
    await expect.poll(uploadsUnderWay, { timeout: 10_000 }).toEqual([])
    const after = await stat(partial).then(
      (s) => s.size,
      () => 0,
    )
    expect(after).toBeGreaterThanOrEqual(before)
  }, 60_000)
})

describe('a resumed patch whose client stops sending (half-close, no end op)', () => {
  it('keeps the partial (a Write that ends early keeps it: "upload ended before its end marker" is TRANSIENT)', async () => {
    const { loadProtocol } = await import('../src/wire/load-protocol.js')
    const data = pseudoRandom(SIZE, 50)
    const partial = await leavePartial('halfclose.bin', data, 8 << 20)
    const before = (await stat(partial)).size
    const protocol = await loadProtocol()
    const client = new protocol.proto.syncflow.v1.Syncflow(
      `127.0.0.1:${env.srv.server.port}`,
      protocol.grpc.credentials.createInsecure(),
    )
    const blockSize = 64 * 1024
    const reply = new Promise<unknown>((resolve) => {
      const call = client.Patch(new protocol.grpc.Metadata(), (err: unknown, res: unknown) => resolve(err ?? res))
      // The first 4 MiB of the file, copied from the partial; then the client stops (Ctrl-C: its
      // stream ends before the end op, as the CLI's does).
      call.write({
        header: {
          root: '',
          path: 'halfclose.bin',
          blockSize,
          meta: { mtimeMs: 1, size: SIZE, hashes: {} },
          fromPartial: true,
        },
        ops: [{ copy: { index: 0, count: (4 << 20) / blockSize } }],
      })
      call.end()
    })
    await expect.poll(uploadsUnderWay, { timeout: 10_000 }).toEqual([])
    expect(await reply).toMatchObject({ details: expect.stringContaining('ended before its end') })
    client.close()
    const after = await stat(partial).then(
      (s) => s.size,
      () => 0,
    )
    expect(after).toBeGreaterThanOrEqual(before)
  })
})
