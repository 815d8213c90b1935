import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { Server } from '@grpc/grpc-js'
import type { Backend, RelPath, WriteOptions } from '@syncflow/core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { HelloReply } from '../src/generated/syncflow/v1/HelloReply.js'
import { createGrpcBackend, type GrpcBackend } from '../src/index.js'
import { LocalTree } from '../src/server/local-tree.js'
import type { ServedTree } from '../src/server/served-tree.js'
import { loadProtocol } from '../src/wire/load-protocol.js'
import { startTestServer } from './helpers.js'
import { testServiceHandlers } from './service-harness.js'

// A sync of many small files to a `syncflow serve` made one Write call per file: ~2 ms of CPU per
// file on each side (2,000 files of 1-4 KiB: 4.2 s on the client, 3.4 s on the server, against an
// rsync daemon's 0.35 s in all), much of it each call's HTTP/2 stream, metadata and checks. A server
// offering "writeMany" now takes small files in one stream, each answered on its own.

let served: string
let server: Server | undefined
const cleanup: Array<() => unknown> = []

beforeEach(async () => {
  served = await mkdtemp(join(tmpdir(), 'sf-write-many-'))
})

afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
  server?.forceShutdown()
  server = undefined
  await rm(served, { recursive: true, force: true })
})

/** Calls the server got, by method. */
type Calls = { Write: number; WriteMany: number }

/**
 * The real service over the real directory `served`, its Write and WriteMany calls counted;
 * `older`: a server from before "writeMany" (its Hello does not offer it, and it has no WriteMany);
 * `tree` adapts the served tree.
 */
async function serve(adapt: { older?: boolean; tree?: (t: ServedTree) => ServedTree } = {}) {
  const protocol = await loadProtocol()
  const real = await LocalTree.open(served)
  const handlers = testServiceHandlers(adapt.tree ? adapt.tree(real) : real, protocol)
  const calls: Calls = { Write: 0, WriteMany: 0 }
  for (const name of ['Write', 'WriteMany'] as const) {
    const handler = handlers[name] as (...args: unknown[]) => unknown
    handlers[name] = ((...args: unknown[]) => {
      calls[name]++
      return handler(...args)
    }) as never
  }
  if (adapt.older) {
    type Callback = (err: unknown, reply?: HelloReply) => void
    const hello = handlers.Hello as (call: unknown, cb: Callback) => void
    handlers.Hello = ((call: unknown, cb: Callback) =>
      hello(call, (err, reply) =>
        cb(err, reply && { ...reply, features: (reply.features ?? []).filter((f) => f !== 'writeMany') }),
      )) as typeof handlers.Hello
    // Not in its service at all: a call of it would fail UNIMPLEMENTED.
    delete (handlers as Partial<typeof handlers>).WriteMany
  }
  const s = new protocol.grpc.Server()
  server = s
  s.addService(protocol.proto.syncflow.v1.Syncflow.service, handlers)
  const port = await new Promise<number>((resolve, reject) =>
    s.bindAsync('127.0.0.1:0', protocol.grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  )
  return { port, calls }
}

async function connect(port: number): Promise<GrpcBackend> {
  const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/` })
  cleanup.push(() => b.close())
  return b
}

const MTIME = 1_700_000_000_000

/** Writes `n` small files `d/fN.txt` at once (as the engine keeps small writes in flight). */
function writeMany(backend: Backend, n: number, opts: (i: number) => WriteOptions = () => ({})) {
  return Promise.allSettled(
    Array.from({ length: n }, (_, i) => {
      const bytes = Buffer.from(`file ${i} `.repeat(100 + i))
      return backend.write(
        `d/f${i}.txt` as RelPath,
        Readable.from([bytes]),
        { size: bytes.length, mtimeMs: MTIME },
        opts(i),
      )
    }),
  )
}

it('small files go to a server offering "writeMany" in one stream, each answered on its own: one whose destination is taken fails alone, naming its path', async () => {
  const { port, calls } = await serve()
  const backend = await connect(port)
  expect(backend.features.has('writeMany')).toBe(true)
  await backend.mkdir('d' as RelPath)
  await writeFile(join(served, 'd', 'f3.txt'), 'already there')

  // f3 must not exist (WriteOptions.expect): it does, so it alone fails, and is left as it was.
  const results = await writeMany(backend, 10, (i) => (i === 3 ? { expect: null } : {}))

  expect(results.map((r) => r.status)).toEqual([
    ...Array(3).fill('fulfilled'),
    'rejected',
    ...Array(6).fill('fulfilled'),
  ])
  expect((results[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT', path: 'd/f3.txt' })
  expect(await readFile(join(served, 'd', 'f3.txt'), 'utf8')).toBe('already there')
  for (const i of [0, 4, 9]) {
    expect(await readFile(join(served, 'd', `f${i}.txt`), 'utf8')).toBe(`file ${i} `.repeat(100 + i))
    expect((results[i] as PromiseFulfilledResult<{ path: string; mtimeMs: number }>).value).toMatchObject({
      path: `d/f${i}.txt`,
      mtimeMs: MTIME,
    })
  }
  expect(calls).toEqual({ Write: 0, WriteMany: 1 })
})

it('a server from before "writeMany" gets a Write per file, as before', async () => {
  const { port, calls } = await serve({ older: true })
  const backend = await connect(port)
  expect(backend.features.has('writeMany')).toBe(false)

  const results = await writeMany(backend, 5)

  expect(results.map((r) => r.status)).toEqual(Array(5).fill('fulfilled'))
  expect((await readdir(join(served, 'd'))).sort()).toEqual(['f0.txt', 'f1.txt', 'f2.txt', 'f3.txt', 'f4.txt'])
  expect(calls).toEqual({ Write: 5, WriteMany: 0 })
})

it('a client from before "writeMany" (it Writes each file) still writes to a syncflow serve that offers it', async () => {
  const srv = await startTestServer({ root: served })
  cleanup.push(() => srv.stop())
  const backend = await connect(srv.server.port)
  expect(backend.features.has('writeMany')).toBe(true)
  // What an older client does: it knows no "writeMany", so it makes a Write call per file.
  ;(backend.features as Set<string>).delete('writeMany')

  const results = await writeMany(backend, 5)

  expect(results.map((r) => r.status)).toEqual(Array(5).fill('fulfilled'))
  expect(await readFile(join(served, 'd', 'f4.txt'), 'utf8')).toBe('file 4 '.repeat(104))
})

it('a file cancelled while the server writes it is not committed, and the files beside it in the stream are', async () => {
  // The served tree's write of d/f1.txt waits for `release` (a slow disk), then goes on with the
  // signal the server gave it; `settled` says when the server's write of it is over.
  let release!: () => void
  const released = new Promise<void>((r) => {
    release = r
  })
  let reached = false
  let settled = false
  /** The signal the server gave its write of d/f1.txt: aborted once the client's cancel is in. */
  let serverSignal: AbortSignal | undefined
  const holding = aroundWrites(async (path, opts, write) => {
    if (path !== 'd/f1.txt') return write()
    reached = true
    serverSignal = opts?.signal
    await released
    return write().finally(() => {
      settled = true
    })
  })
  const { port, calls } = await serve({ tree: holding })
  const backend = await connect(port)
  await backend.mkdir('d' as RelPath)
  const ac = new AbortController()

  const results = writeMany(backend, 3, (i) => (i === 1 ? { signal: ac.signal } : {}))
  await expect.poll(() => reached).toBe(true)
  ac.abort()
  // Released once the server has the cancel: before it, its write would go on and commit (the
  // cancel still on its way to the server), which a loaded machine could make happen.
  await expect.poll(() => serverSignal?.aborted).toBe(true)
  expect(calls.WriteMany).toBe(1)
  release()
  const [f0, f1, f2] = await results

  expect(f1).toMatchObject({ status: 'rejected', reason: { code: 'ABORTED' } })
  expect([f0?.status, f2?.status]).toEqual(['fulfilled', 'fulfilled'])
  await expect.poll(() => settled).toBe(true)
  expect((await readdir(join(served, 'd'))).sort()).toEqual(['f0.txt', 'f2.txt'])
})

it('a WriteMany file over 64 KiB fails the stream (USAGE: it goes in a Write of its own), and nothing is written', async () => {
  const { port } = await serve()
  const protocol = await loadProtocol()
  const raw = new protocol.proto.syncflow.v1.Syncflow(`127.0.0.1:${port}`, protocol.grpc.credentials.createInsecure())
  cleanup.push(() => raw.close())
  const call = raw.WriteMany()
  const failed = new Promise<{ code: number; metadata: { get(k: string): unknown[] } }>((resolve) =>
    call.on('error', resolve as never),
  )
  call.on('data', () => {})
  const header = { root: '', path: 'big.bin', meta: { mtimeMs: MTIME } }
  call.write({ id: 1, file: { header, data: Buffer.alloc(64 * 1024 + 1) } })
  call.end()

  const err = await failed
  expect(err.metadata.get('syncflow-code')).toEqual(['USAGE'])
  expect(await readdir(served)).toEqual([])
})

it('a WriteMany stream the client half-closes ends with status OK once its files are answered (the server does not drop it: a client then waits on the open call until its connection goes)', async () => {
  const { port } = await serve()
  const protocol = await loadProtocol()
  const raw = new protocol.proto.syncflow.v1.Syncflow(`127.0.0.1:${port}`, protocol.grpc.credentials.createInsecure())
  cleanup.push(() => raw.close())
  const call = raw.WriteMany()
  const replies: unknown[] = []
  call.on('data', (reply: unknown) => replies.push(reply))
  const status = new Promise<{ code: number }>((resolve) => call.on('status', resolve as never))
  call.on('error', () => {}) // (the status says it)
  const header = { root: '', path: 'a.txt', meta: { mtimeMs: MTIME } }
  call.write({ id: 1, file: { header, data: Buffer.from('a') } })
  call.end()

  // Without an end, the CLI's run waited out its 3 s exit safety net after every sync of small files.
  expect((await status).code).toBe(protocol.grpc.status.OK)
  expect(replies).toMatchObject([{ id: 1, entry: { path: 'a.txt' } }])
  expect(await readFile(join(served, 'a.txt'), 'utf8')).toBe('a')
}, 10_000)

it('a file listed small that reads past 64 KiB (it grew since) goes in a Write of its own, with the bytes read before it was seen to', async () => {
  const { port, calls } = await serve()
  const backend = await connect(port)
  // Listed at 1 KiB, read as 100 KiB in 10 KiB chunks: the first 7 were taken for a WriteMany.
  const chunks = Array.from({ length: 10 }, (_, i) => Buffer.alloc(10 * 1024, 97 + i))
  const entry = await backend.write('grew.bin' as RelPath, Readable.from(chunks), { size: 1024, mtimeMs: MTIME })

  expect(entry).toMatchObject({ path: 'grew.bin', size: 100 * 1024 })
  expect((await readFile(join(served, 'grew.bin'))).equals(Buffer.concat(chunks))).toBe(true)
  expect(calls).toEqual({ Write: 1, WriteMany: 0 })
})

/** `t` whose backends' writes of the paths `hold` picks wait for the promise it gives (a slow disk). */
function holdingWrites(hold: (path: string) => Promise<void> | undefined) {
  return aroundWrites(async (path, _opts, write) => {
    await hold(path)
    return write()
  })
}

/** `t` whose backends' writes each go through `around`, given the path, the options and the write itself. */
function aroundWrites(
  around: (path: string, opts: WriteOptions | undefined, write: () => Promise<unknown>) => Promise<unknown>,
) {
  return (t: ServedTree): ServedTree =>
    new Proxy(t, {
      get(target, p) {
        const v = Reflect.get(target, p, target)
        if (p !== 'backend' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v
        return async (sub: string) => {
          const b = (await v.call(target, sub)) as Backend
          return new Proxy(b, {
            get(bt, bp) {
              const bv = Reflect.get(bt, bp, bt)
              if (bp !== 'write') return typeof bv === 'function' ? bv.bind(bt) : bv
              return (path: RelPath, ...rest: unknown[]) =>
                around(path, rest[2] as WriteOptions | undefined, () => bv.call(bt, path, ...rest) as Promise<unknown>)
            },
          })
        }
      },
    })
}

it('files a stalled server does not answer within the I/O timeout fail TRANSIENT, each naming its own path, as a Write does', async () => {
  let release!: () => void
  const stalled = new Promise<void>((r) => {
    release = r
  })
  cleanup.push(() => release())
  const { port, calls } = await serve({ tree: holdingWrites((path) => (path.startsWith('d/') ? stalled : undefined)) })
  const backend = await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/`, ioTimeoutMs: 500 })
  cleanup.push(() => backend.close())
  await backend.mkdir('d' as RelPath)

  const results = await writeMany(backend, 3)

  expect(calls.WriteMany).toBe(1)
  for (const [i, r] of results.entries()) {
    // Its message says which file too (`grpc.write (d/f1.txt)`): all three had one without a path.
    expect(r).toMatchObject({ status: 'rejected', reason: { code: 'TRANSIENT', path: `d/f${i}.txt` } })
    expect((r as PromiseRejectedResult).reason.message).toContain(`grpc.write (d/f${i}.txt): `)
    expect((r as PromiseRejectedResult).reason.message).toContain('(I/O timeout)')
  }
}, 10_000)

it('one file not answered within the I/O timeout fails alone: a file beside it in the stream, answered in time, is written', async () => {
  // slow.txt is held until the test ends (a write behind a slow disk); late.txt until slow.txt has
  // failed on the client, then answered well within its own timeout, since it was sent later.
  let release!: () => void
  const slowHeld = new Promise<void>((r) => {
    release = r
  })
  cleanup.push(() => release())
  let slowFailed!: () => void
  const slowGaveUp = new Promise<void>((r) => {
    slowFailed = r
  })
  const hold = (path: string) => (path === 'd/slow.txt' ? slowHeld : path === 'd/late.txt' ? slowGaveUp : undefined)
  const { port, calls } = await serve({ tree: holdingWrites(hold) })
  const backend = await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/`, ioTimeoutMs: 2000 })
  cleanup.push(() => backend.close())
  await backend.mkdir('d' as RelPath)
  const write = (name: string) =>
    backend.write(`d/${name}` as RelPath, Readable.from([Buffer.from(name)]), { size: name.length, mtimeMs: MTIME })

  const slow = write('slow.txt')
  slow.catch(() => slowFailed())
  // A real delay, on purpose: late.txt is sent a second into slow.txt's 2 s, so that slow.txt times
  // out while late.txt waits in the same stream, a second before its own timeout would.
  await new Promise((r) => setTimeout(r, 1000))
  const late = write('late.txt')

  await expect(slow).rejects.toMatchObject({ code: 'TRANSIENT', path: 'd/slow.txt' })
  await expect(late).resolves.toMatchObject({ path: 'd/late.txt' })
  expect(await readFile(join(served, 'd', 'late.txt'), 'utf8')).toBe('late.txt')
  expect(calls).toEqual({ Write: 0, WriteMany: 1 })
}, 10_000)

it.each([
  ['a small file (in a WriteMany stream)', 7, 'WriteMany'],
  ['a file in a Write of its own', 100 * 1024, 'Write'],
] as const)(
  'close() while a stalled server holds %s: its write fails ABORTED at once, the call is cancelled, and the file is not committed once the server goes on',
  async (_, size, method) => {
    // The served write of d/stall.txt never ends by itself (a broken server: it ignores its signal
    // until `release`), then goes on with the signal it was given, as a slow disk would.
    let release!: () => void
    const released = new Promise<void>((r) => {
      release = r
    })
    cleanup.push(() => release())
    let serverSignal: AbortSignal | undefined
    let committed: unknown
    const stalling = aroundWrites(async (path, opts, write) => {
      if (path !== 'd/stall.txt') return write()
      serverSignal = opts?.signal
      await released
      return write().then(
        (e) => {
          committed = e
          return e
        },
        (err: unknown) => {
          committed = err
          throw err
        },
      )
    })
    const { port, calls } = await serve({ tree: stalling })
    // No I/O timeout and no signal: only close() can end the wait (a library user's, or the CLI's,
    // which before waited out its 3 s exit safety net).
    const backend = await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/` })
    await backend.mkdir('d' as RelPath)
    const bytes = Buffer.alloc(size, 's')
    let settled = false
    const write = backend.write('d/stall.txt' as RelPath, Readable.from([bytes]), {
      size: bytes.length,
      mtimeMs: MTIME,
    })
    const settle = () => {
      settled = true
    }
    write.then(settle, settle)
    await expect.poll(() => serverSignal).toBeDefined()

    await backend.close()

    await expect.poll(() => settled, { timeout: 5000 }).toBe(true)
    await expect(write).rejects.toMatchObject({ code: 'ABORTED', path: 'd/stall.txt' })
    expect(calls[method]).toBe(1)
    // The server saw the call go: its write, let go now, must not commit.
    await expect.poll(() => serverSignal?.aborted).toBe(true)
    release()
    await expect.poll(() => committed).toBeDefined()
    expect(committed).toMatchObject({ code: 'ABORTED' })
    expect(await readdir(join(served, 'd'))).toEqual([])
  },
  10_000,
)
