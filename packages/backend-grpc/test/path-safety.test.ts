import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Metadata } from '@grpc/grpc-js'
import { createLocalBackend } from '@syncflow/backend-local'
import { type RelPath, SyncError, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SyncflowClient } from '../src/generated/syncflow/v1/Syncflow.js'
import { createGrpcBackend } from '../src/index.js'
import { loadProtocol, PROTOCOL_VERSION, type Protocol } from '../src/wire/load-protocol.js'
import { startTestServer } from './helpers.js'

let srv: Awaited<ReturnType<typeof startTestServer>>
let outside: string
let protocol: Protocol
let raw: SyncflowClient

beforeAll(async () => {
  srv = await startTestServer()
  outside = await mkdtemp(join(tmpdir(), 'grpc-outside-'))
  await writeFile(join(outside, 'secret.txt'), 'secret')
  await mkdir(join(srv.dir, 'inside'))
  await writeFile(join(srv.dir, 'inside/ok.txt'), 'ok')
  // Symlinks inside the served root pointing out of it.
  await symlink(outside, join(srv.dir, 'out-dir'))
  await symlink(join(outside, 'secret.txt'), join(srv.dir, 'out-file'))
  await symlink(outside, join(srv.dir, 'inside/nested-out'))
  protocol = await loadProtocol()
  raw = new protocol.proto.syncflow.v1.Syncflow(
    `127.0.0.1:${srv.server.port}`,
    protocol.grpc.credentials.createInsecure(),
  )
})

afterAll(async () => {
  raw?.close()
  await srv?.stop()
  await rm(outside, { recursive: true, force: true })
})

type Cb<T> = (err: { code: number; details: string } | null, res?: T) => void
/** A raw unary call: resolves with the status code (0 = OK). */
function call<T>(start: (md: Metadata, cb: Cb<T>) => unknown): Promise<number> {
  return new Promise((resolve) => start(new protocol.grpc.Metadata(), (err) => resolve(err ? err.code : 0)))
}
/** A raw server-streaming call: resolves with the status code and the bytes received. */
function stream(start: () => NodeJS.ReadableStream): Promise<{ code: number; bytes: number }> {
  return new Promise((resolve) => {
    let bytes = 0
    const s = start()
    s.on('data', (m: { data?: Buffer; weak?: Buffer }) => {
      bytes += (m.data ?? m.weak ?? Buffer.alloc(0)).length
    })
    s.on('error', (e: { code: number }) => resolve({ code: e.code, bytes }))
    s.on('end', () => resolve({ code: 0, bytes }))
  })
}

const INVALID = 3
const HOSTILE = ['../secret.txt', '/etc/passwd', 'a/../../x', 'a\0b', '', 'a//b', './x', 'a\u007fb']

describe('hostile client (raw gRPC calls)', () => {
  it.each(HOSTILE)('refuses path %j on every kind of call', async (path) => {
    expect(await call((md, cb) => raw.Stat({ root: '', path }, md, cb))).toBe(INVALID)
    expect((await stream(() => raw.Read({ root: '', path, offset: 0 }))).code).toBe(INVALID)
    expect((await stream(() => raw.Signature({ root: '', path, blockSize: 0 }))).code).toBe(INVALID)
    expect(await call((md, cb) => raw.Remove({ root: '', path }, md, cb))).toBe(INVALID)
    expect(await call((md, cb) => raw.Mkdir({ root: '', path }, md, cb))).toBe(INVALID)
    expect(await call((md, cb) => raw.Hash({ root: '', path, algo: 'sha256' }, md, cb))).toBe(INVALID)
    expect(await call((md, cb) => raw.Symlink({ root: '', path, linkTarget: '/etc' }, md, cb))).toBe(INVALID)
    expect(await call((md, cb) => raw.Move({ root: '', from: 'inside/ok.txt', to: path }, md, cb))).toBe(INVALID)
    expect(await call((md, cb) => raw.Copy({ root: '', from: path, to: 'copy.txt' }, md, cb))).toBe(INVALID)
    expect(await call((md, cb) => raw.SetMtime({ root: '', path, mtimeMs: 1 }, md, cb))).toBe(INVALID)
    const write = await call<unknown>((md, cb) => {
      const w = raw.Write(md, cb as never)
      w.write({ header: { root: '', path, meta: { mtimeMs: 1 } } })
      w.write({ data: Buffer.from('pwned') })
      w.write({ end: { size: 5 } })
      w.end()
      return w
    })
    expect(write).toBe(INVALID)
    if (path !== '') {
      // As a client root, too.
      expect((await stream(() => raw.List({ root: path }))).code).toBe(INVALID)
      expect(await call((md, cb) => raw.Stat({ root: path, path: 'x' }, md, cb))).toBe(INVALID)
    }
  })

  it('never reads through a symlink pointing out of the root', async () => {
    for (const path of ['out-file', 'out-dir/secret.txt', 'inside/nested-out/secret.txt']) {
      const read = await stream(() => raw.Read({ root: '', path, offset: 0 }))
      expect(read.code, path).not.toBe(0)
      expect(read.bytes).toBe(0)
      expect((await stream(() => raw.Signature({ root: '', path, blockSize: 0 }))).code, path).not.toBe(0)
      expect(await call((md, cb) => raw.Hash({ root: '', path, algo: 'sha256' }, md, cb)), path).not.toBe(0)
      expect(await call((md, cb) => raw.Copy({ root: '', from: path, to: 'leak.txt' }, md, cb)), path).not.toBe(0)
    }
    const stat = await new Promise<{ found: boolean } | undefined>((resolve) =>
      raw.Stat({ root: '', path: 'out-dir/secret.txt' }, (_e, r) => resolve(r)),
    )
    expect(stat?.found ?? false).toBe(false)
    // A client root through the symlink is refused too.
    expect((await stream(() => raw.List({ root: 'out-dir' }))).code).not.toBe(0)
    expect((await stream(() => raw.Read({ root: 'out-dir', path: 'secret.txt', offset: 0 }))).bytes).toBe(0)
  })

  it('never writes, removes or creates through a symlink pointing out of the root', async () => {
    for (const path of ['out-dir/new.txt', 'inside/nested-out/new.txt', 'out-dir/secret.txt']) {
      const write = await call<unknown>((md, cb) => {
        const w = raw.Write(md, cb as never)
        w.write({ header: { root: '', path, meta: { mtimeMs: 1 } } })
        w.write({ data: Buffer.from('pwned') })
        w.write({ end: { size: 5 } })
        w.end()
        return w
      })
      expect(write, path).not.toBe(0)
      expect(await call((md, cb) => raw.Remove({ root: '', path }, md, cb)), path).not.toBe(0)
      expect(await call((md, cb) => raw.Mkdir({ root: '', path }, md, cb)), path).not.toBe(0)
      expect(await call((md, cb) => raw.SetMtime({ root: '', path, mtimeMs: 1 }, md, cb)), path).not.toBe(0)
    }
    expect((await readdir(outside)).sort()).toEqual(['secret.txt'])
  })

  it('a backend rooted through a symlink is refused at open', async () => {
    await expect(createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/out-dir/` })).rejects.toMatchObject({
      code: 'INVALID_PATH',
    })
  })
})

describe('hostile server (a fake server sending bad paths)', () => {
  async function fakeServer(handlers: Record<string, unknown>) {
    const server = new protocol.grpc.Server()
    const hello = (_c: unknown, cb: (e: null, r: unknown) => void) =>
      cb(null, {
        protocol: PROTOCOL_VERSION,
        serverVersion: 'evil',
        rootExists: true,
        capabilities: { hashes: [], mtimePrecisionMs: 1, watch: 'none' },
        features: [],
      })
    server.addService(protocol.proto.syncflow.v1.Syncflow.service, { Hello: hello, ...handlers } as never)
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', protocol.grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    )
    return { port, stop: () => server.forceShutdown() }
  }
  const entry = (path: string, kind = 'FILE') => ({ path, kind, size: 1, mtimeMs: 1, hashes: {} })

  it('a listing with ../ or absolute paths is reported as INVALID_PATH, never yielded', async () => {
    const fake = await fakeServer({
      List: (c: { write(m: unknown): void; end(): void }) => {
        c.write({ entries: [entry('../x'), entry('/etc/passwd'), entry('a/../../b'), entry('ok.txt'), entry('z\0')] })
        c.end()
      },
    })
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${fake.port}/` })
    const errors: SyncError[] = []
    const listed: string[] = []
    for await (const e of b.list({ onError: (err) => errors.push(err) })) listed.push(e.path)
    expect(listed).toEqual(['ok.txt'])
    expect(errors.map((e) => e.code)).toEqual(['INVALID_PATH', 'INVALID_PATH', 'INVALID_PATH', 'INVALID_PATH'])
    // Without onError, the listing fails instead.
    await expect(collect(b.list())).rejects.toMatchObject({ code: 'INVALID_PATH' })
    await b.close()
    fake.stop()
  })

  it('a listing out of order fails (the merge-join would go wrong)', async () => {
    const fake = await fakeServer({
      List: (c: { write(m: unknown): void; end(): void }) => {
        c.write({ entries: [entry('b'), entry('a')] })
        c.end()
      },
    })
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${fake.port}/` })
    await expect(collect(b.list())).rejects.toBeInstanceOf(SyncError)
    await b.close()
    fake.stop()
  })

  it('a stat answered with another path, or a bad one, is refused', async () => {
    let answer = 'other.txt'
    const fake = await fakeServer({
      Stat: (_c: unknown, cb: (e: null, r: unknown) => void) => cb(null, { found: true, entry: entry(answer) }),
    })
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${fake.port}/` })
    await expect(b.stat('asked.txt' as RelPath)).rejects.toBeInstanceOf(SyncError)
    answer = '../asked.txt'
    await expect(b.stat('asked.txt' as RelPath)).rejects.toMatchObject({ code: 'INVALID_PATH' })
    await b.close()
    fake.stop()
  })
})

describe('a sync from a hostile server into a local directory', () => {
  it('writes nothing outside the target, whatever paths and symlinks the server lists', async () => {
    const target = await mkdtemp(join(tmpdir(), 'grpc-target-'))
    const elsewhere = await mkdtemp(join(tmpdir(), 'grpc-elsewhere-'))
    const server = new protocol.grpc.Server()
    const file = (path: string) => ({ path, kind: 'FILE', size: 5, mtimeMs: 1_700_000_000_000, hashes: {} })
    server.addService(protocol.proto.syncflow.v1.Syncflow.service, {
      Hello: (_c: unknown, cb: (e: null, r: unknown) => void) =>
        cb(null, {
          protocol: PROTOCOL_VERSION,
          serverVersion: 'evil',
          rootExists: true,
          capabilities: { hashes: [], mtimePrecisionMs: 1, listMtime: true, symlinks: true, watch: 'none' },
          features: ['symlink'],
        }),
      // In order (UTF-8 bytes): a symlink out of the target, then a file "inside" it, and escapes.
      List: (c: { write(m: unknown): void; end(): void }) => {
        c.write({
          entries: [
            file('../escape.txt'),
            file(`${elsewhere}/abs.txt`),
            file('ok.txt'),
            { path: 'x', kind: 'SYMLINK', size: 0, mtimeMs: 1, hashes: {}, linkTarget: elsewhere },
            file('x/through-link.txt'),
          ],
        })
        c.end()
      },
      Read: (c: { write(m: unknown): void; end(): void }) => {
        c.write({ data: Buffer.from('pwned') })
        c.end()
      },
    } as never)
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', protocol.grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    )
    try {
      const source = await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/` })
      const events = await lastValueFrom(
        sync(source, createLocalBackend({ root: target }), { mode: 'mirror', retries: 0, concurrency: 1 }).pipe(
          toArray(),
        ),
      )
      await source.close()
      // One at a time, in listing order: the symlink lands first, then the write through it is refused.
      const failed = Object.fromEntries(
        events.flatMap((e) => (e.type === 'failed' && e.path !== undefined ? [[e.path, e.error.code]] : [])),
      )
      expect(failed).toEqual({
        '../escape.txt': 'INVALID_PATH',
        [`${elsewhere}/abs.txt`]: 'INVALID_PATH',
        'x/through-link.txt': 'INVALID_PATH',
      })
      expect(events.at(-1)?.type).toBe('done')
      expect(await readdir(elsewhere)).toEqual([])
      expect((await readdir(join(target, '..'))).includes('escape.txt')).toBe(false)
      expect(await readFile(join(target, 'ok.txt'), 'utf8')).toBe('pwned')
    } finally {
      server.forceShutdown()
      await rm(target, { recursive: true, force: true })
      await rm(elsewhere, { recursive: true, force: true })
    }
  })
})

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}
