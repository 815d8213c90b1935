import { mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SyncflowClient } from '../src/generated/syncflow/v1/Syncflow.js'
import { loadProtocol } from '../src/wire/load-protocol.js'
import { startTestServer } from './helpers.js'

// A raw client's numbers out of range: an mtime of 1e300 passed `isFinite` and reached utimes, whose
// EINVAL came back UNKNOWN ("a bug in syncflow", Node's "futime" for a message), and Mkdir had made
// the directory by then. Each is refused up front (USAGE, naming the value), nothing written.

type Failure = { code?: number; details?: string; metadata?: { get(k: string): unknown[] } } | null

let srv: Awaited<ReturnType<typeof startTestServer>>
let raw: SyncflowClient
let grpc: Awaited<ReturnType<typeof loadProtocol>>['grpc']

beforeAll(async () => {
  srv = await startTestServer()
  const protocol = await loadProtocol()
  grpc = protocol.grpc
  raw = new protocol.proto.syncflow.v1.Syncflow(`127.0.0.1:${srv.server.port}`, grpc.credentials.createInsecure())
  await mkdir(join(srv.dir, 't'))
  await writeFile(join(srv.dir, 't', 'kept.txt'), 'kept')
  await utimes(join(srv.dir, 't', 'kept.txt'), 1_700_000_000, 1_700_000_000)
})
afterAll(async () => {
  raw?.close()
  await srv?.stop()
})

function refusedFor(err: Failure, value: number): void {
  expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT)
  expect(err?.metadata?.get('syncflow-code')).toEqual(['USAGE'])
  expect(err?.details).toContain(`bad mtime ${value}`)
}

const BAD = [1e300, -1e300, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 8.64e15 + 1]

describe('an mtime out of range from a raw client', () => {
  it('is refused by Write before a temp file is made', async () => {
    for (const mtimeMs of BAD) {
      const err = await new Promise<Failure>((resolve) => {
        const call = raw.Write((e) => resolve(e))
        call.write({ header: { root: 't', path: 'new.txt', meta: { mtimeMs } } })
        call.write({ data: Buffer.from('hi') })
        call.write({ end: { size: 2 } })
        call.end()
      })
      refusedFor(err, mtimeMs)
    }
    expect((await readdir(join(srv.dir, 't'))).sort()).toEqual(['kept.txt'])
  })

  it('is refused by Mkdir, which makes no directory', async () => {
    for (const mtimeMs of BAD) {
      const err = await new Promise<Failure>((resolve) => raw.Mkdir({ root: 't', path: 'd', mtimeMs }, resolve))
      refusedFor(err, mtimeMs)
    }
    expect((await readdir(join(srv.dir, 't'))).sort()).toEqual(['kept.txt'])
  })

  it('is refused by SetMtime, which leaves the file as it was', async () => {
    for (const mtimeMs of BAD) {
      const err = await new Promise<Failure>((resolve) =>
        raw.SetMtime({ root: 't', path: 'kept.txt', mtimeMs }, resolve),
      )
      refusedFor(err, mtimeMs)
    }
    expect((await stat(join(srv.dir, 't', 'kept.txt'))).mtimeMs).toBe(1_700_000_000_000)
  })

  it('is refused by Patch before the base is read', async () => {
    const err = await new Promise<Failure>((resolve) => {
      const call = raw.Patch((e) => resolve(e))
      call.write({ header: { root: 't', path: 'kept.txt', blockSize: 64, meta: { mtimeMs: 1e300 } }, ops: [] })
      call.end()
    })
    refusedFor(err, 1e300)
    expect((await stat(join(srv.dir, 't', 'kept.txt'))).mtimeMs).toBe(1_700_000_000_000)
  })

  it('within a date range is taken (the filesystem stores what it can)', async () => {
    const err = await new Promise<Failure>((resolve) =>
      raw.SetMtime({ root: 't', path: 'kept.txt', mtimeMs: -1e12 }, resolve),
    )
    expect(err).toBeNull()
    expect((await stat(join(srv.dir, 't', 'kept.txt'))).mtimeMs).toBe(-1e12)
    await utimes(join(srv.dir, 't', 'kept.txt'), 1_700_000_000, 1_700_000_000)
  })
})
