import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import type { DoneEvent } from '@syncflow/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SyncflowClient } from '../src/generated/syncflow/v1/Syncflow.js'
import { createGrpcBackend } from '../src/index.js'
import { loadProtocol } from '../src/wire/load-protocol.js'
import { mirrorAndClose, startTestServer } from './helpers.js'

// `syncflow serve --read-only` (rsync's `read only = yes`, rclone serve's --read-only): clients sync
// from it, delta included, and every call that would change the tree is refused, PERMISSION naming
// the flag; a run that would write into it stops at its listing.

type Failure = { code?: number; details?: string; metadata?: { get(k: string): unknown[] } } | null

let srv: Awaited<ReturnType<typeof startTestServer>>
let local: string
let raw: SyncflowClient
let grpc: Awaited<ReturnType<typeof loadProtocol>>['grpc']

beforeAll(async () => {
  srv = await startTestServer({ readOnly: true })
  local = await mkdtemp(join(tmpdir(), 'grpc-read-only-'))
  await mkdir(join(srv.dir, 'data', 'sub'), { recursive: true })
  await writeFile(join(srv.dir, 'data', 'a.txt'), 'a\n')
  await writeFile(join(srv.dir, 'data', 'sub', 'b.bin'), Buffer.alloc(200_000, 7))
  const protocol = await loadProtocol()
  grpc = protocol.grpc
  raw = new protocol.proto.syncflow.v1.Syncflow(`127.0.0.1:${srv.server.port}`, grpc.credentials.createInsecure())
})
afterAll(async () => {
  raw?.close()
  await srv?.stop()
  if (local) await rm(local, { recursive: true, force: true })
})

const uri = () => `grpc://127.0.0.1:${srv.server.port}/data`

/** Every file and directory below `dir`, as sorted relative paths. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort()
}

describe('a server started read-only', () => {
  it('is synced from, and a changed copy is brought back by a delta', async () => {
    const dst = join(local, 'from')
    let done = (await mirrorAndClose(await createGrpcBackend({ uri: uri() }), createLocalBackend({ root: dst }))).at(-1)
    expect(done).toMatchObject({ type: 'done', summary: { failed: 0, done: { copy: 2, mkdir: 1 } } })
    const b = join(dst, 'sub', 'b.bin')
    await writeFile(b, Buffer.concat([Buffer.alloc(100_000, 7), Buffer.from('changed'), Buffer.alloc(99_993, 7)]))
    done = (await mirrorAndClose(await createGrpcBackend({ uri: uri() }), createLocalBackend({ root: dst }))).at(-1)
    expect(done).toMatchObject({ type: 'done', summary: { failed: 0, done: { update: 1 } } })
    expect(await readFile(b)).toEqual(Buffer.alloc(200_000, 7))
  })

  it('stops a sync into it at its listing, naming --read-only, and nothing is written', async () => {
    const src = join(local, 'src')
    await mkdir(src, { recursive: true })
    await writeFile(join(src, 'new.txt'), 'new\n')
    const before = await tree(srv.dir)
    const events = await mirrorAndClose(createLocalBackend({ root: src }), await createGrpcBackend({ uri: uri() }))
    const done = events.at(-1) as DoneEvent
    expect(done.summary.fatal).toMatchObject({ code: 'PERMISSION' })
    expect(done.summary.fatal?.message).toContain('--read-only')
    expect(done.summary.fatal?.hint).toContain('without --read-only')
    expect(done.summary.done.delete + done.summary.done.copy).toBe(0)
    expect(await tree(srv.dir)).toEqual(before)
  })

  it('refuses every call that would change the tree, PERMISSION naming the flag', async () => {
    const before = await tree(srv.dir)
    const mtime = (await stat(join(srv.dir, 'data', 'a.txt'))).mtimeMs
    const refused = (err: Failure, call: string) => {
      expect(err?.code, call).toBe(grpc.status.PERMISSION_DENIED)
      expect(err?.metadata?.get('syncflow-code'), call).toEqual(['PERMISSION'])
      expect(err?.details, call).toContain('syncflow serve --read-only')
      expect(String(err?.metadata?.get('syncflow-hint')), call).toContain('without --read-only')
    }
    const unary = (name: string, req: object) =>
      new Promise<Failure>((resolve) =>
        (raw as unknown as Record<string, (r: object, cb: (e: Failure) => void) => void>)[name]!(req, resolve),
      )
    refused(await unary('Remove', { root: 'data', path: 'a.txt' }), 'Remove')
    refused(await unary('Move', { root: 'data', from: 'a.txt', to: 'z.txt' }), 'Move')
    refused(await unary('Copy', { root: 'data', from: 'a.txt', to: 'z.txt' }), 'Copy')
    refused(await unary('SetMtime', { root: 'data', path: 'a.txt', mtimeMs: 1e12 }), 'SetMtime')
    refused(await unary('SetMode', { root: 'data', path: 'a.txt', mode: 0o600 }), 'SetMode')
    refused(await unary('Mkdir', { root: 'data', path: 'new' }), 'Mkdir')
    refused(await unary('Symlink', { root: 'data', path: 'l', linkTarget: 'a.txt' }), 'Symlink')
    const sha = 'a'.repeat(64)
    refused(await unary('FindContent', { root: 'data', size: 2, sha256: sha, path: 'z', meta: { mtimeMs: 1 } }), 'Find')
    const write = await new Promise<Failure>((resolve) => {
      const call = raw.Write((e) => resolve(e))
      call.write({ header: { root: 'data', path: 'z.txt', meta: { mtimeMs: 1e12 } } })
      call.write({ data: Buffer.from('z') })
      call.write({ end: { size: 1 } })
      call.end()
    })
    refused(write, 'Write')
    const patch = await new Promise<Failure>((resolve) => {
      const call = raw.Patch((e) => resolve(e))
      call.write({ header: { root: 'data', path: 'a.txt', blockSize: 64, meta: { mtimeMs: 1e12 } }, ops: [] })
      call.end()
    })
    refused(patch, 'Patch')
    expect(await tree(srv.dir)).toEqual(before)
    expect((await stat(join(srv.dir, 'data', 'a.txt'))).mtimeMs).toBe(mtime)
  })
})
