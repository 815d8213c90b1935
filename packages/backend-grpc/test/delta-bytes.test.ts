import { mkdir, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import { type CompletedEvent, type DeltaOp, deltaOpBytes, type ProgressEvent, type SyncEvent } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { loadProtocol } from '../src/wire/load-protocol.js'
import { toWireOp } from '../src/wire/op-codec.js'
import { mirrorAndClose, pseudoRandom, serverBehindProxy, startProxy, startTestServer } from './helpers.js'

// What a delta update reports as transferred: the bytes that crossed the wire, not the file's size.

const SIZE = 8 << 20
const env = serverBehindProxy('grpc-delta-bytes-')

/** `dir/name` with `data`, and an mtime that differs between the two sides (so the file is updated). */
async function put(dir: string, name: string, data: Buffer, mtimeSec: number): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, name), data)
  await utimes(join(dir, name), mtimeSec, mtimeSec)
}

function check(events: SyncEvent[], path: string, wire: number): void {
  const done = events.at(-1)
  if (done?.type !== 'done') throw new Error('no done event')
  expect(done.summary.failed).toBe(0)
  const completed = events.filter((e): e is CompletedEvent => e.type === 'completed' && e.action.path === path)
  expect(completed).toHaveLength(1)
  const c = completed[0]!
  expect(c.action.kind).toBe('update')
  // The file's size stays in the result entry; `bytes` is the 14 changed bytes' blocks plus instructions.
  expect(c.result?.size).toBe(SIZE)
  expect(c.bytes).toBeGreaterThan(14)
  expect(c.bytes).toBeLessThan(64 * 1024)
  // No more than what the proxy saw going that way (which adds gRPC/HTTP2 framing).
  expect(c.bytes).toBeLessThanOrEqual(wire)
  expect(done.summary.bytesTransferred).toBe(c.bytes)
  expect(done.summary.bytesPerSec).toBeLessThan((c.bytes / done.summary.durationMs) * 1000 + 1)
  // The per-file progress still counts the file up to its size (a progress bar reaches 100%).
  const progress = events.filter((e): e is ProgressEvent => e.type === 'progress' && e.path === path)
  expect(progress.length).toBeGreaterThan(0)
  expect(progress.at(-1)).toMatchObject({ bytes: SIZE, total: SIZE })
}

describe('bytes transferred by a delta over gRPC', () => {
  it('push: the completed event and the summary count the delta sent, not the file size', async () => {
    const base = pseudoRandom(SIZE, 41)
    const next = Buffer.from(base)
    next.write('CHANGED-14BYTE', 3_000_000)
    await put(join(env.srv.dir, 'push'), 'big.bin', base, 1_600_000_000)
    await put(join(env.local, 'push'), 'big.bin', next, 1_700_000_000)
    const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/push` })
    env.proxy.reset()
    const events = await mirrorAndClose(createLocalBackend({ root: join(env.local, 'push') }), target)
    check(events, 'big.bin', env.proxy.up())
  })

  it('pull: the same for a delta the server computes', async () => {
    const base = pseudoRandom(SIZE, 42)
    const next = Buffer.from(base)
    next.write('CHANGED-14BYTE', 5_000_000)
    await put(join(env.srv.dir, 'pull'), 'big.bin', next, 1_700_000_000)
    await put(join(env.local, 'pull'), 'big.bin', base, 1_600_000_000)
    const source = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/pull` })
    env.proxy.reset()
    const events = await mirrorAndClose(source, createLocalBackend({ root: join(env.local, 'pull') }))
    check(events, 'big.bin', env.proxy.down())
  })
})

describe('bytes transferred by a file the server already holds', () => {
  it('a new file whose bytes the server has (content index): the lookups, not the file size', async () => {
    const indexed = await startTestServer({ contentIndex: { refreshAfterMs: 0 } })
    const counted = await startProxy(indexed.server.port)
    try {
      const data = pseudoRandom(SIZE, 43)
      await put(indexed.dir, 'old-name.bin', data, 1_600_000_000)
      await put(join(env.local, 'held'), 'old-name.bin', data, 1_600_000_000)
      await put(join(env.local, 'held'), 'new-name.bin', data, 1_700_000_000)
      const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${counted.port}/` })
      counted.reset()
      const events = await mirrorAndClose(createLocalBackend({ root: join(env.local, 'held') }), target)
      const done = events.at(-1)
      if (done?.type !== 'done') throw new Error('no done event')
      expect(done.summary.failed).toBe(0)
      const c = events.find((e): e is CompletedEvent => e.type === 'completed' && e.action.path === 'new-name.bin')
      expect(c?.result?.size).toBe(SIZE)
      expect(c?.bytes).toBeGreaterThan(0)
      expect(c?.bytes).toBeLessThanOrEqual(counted.up())
      expect(counted.up()).toBeLessThan(64 * 1024) // nothing of the file was sent
      expect(done.summary.bytesTransferred).toBe(c?.bytes)
      const progress = events.filter((e): e is ProgressEvent => e.type === 'progress' && e.path === 'new-name.bin')
      expect(progress.at(-1)).toMatchObject({ bytes: SIZE, total: SIZE })
    } finally {
      await counted.close()
      await indexed.stop()
    }
  })
})

describe('deltaOpBytes', () => {
  it('is what each op takes in a PatchRequest on the wire', async () => {
    const { proto } = await loadProtocol()
    const encode = proto.syncflow.v1.Syncflow.service.Patch.requestSerialize as (m: unknown) => Buffer
    const ops: DeltaOp[] = [
      { type: 'copy', index: 0, count: 1 },
      { type: 'copy', index: 127, count: 128 },
      { type: 'copy', index: 2 ** 40, count: 300_000 },
      { type: 'literal', data: new Uint8Array(1) },
      { type: 'literal', data: new Uint8Array(200) },
      { type: 'literal', data: new Uint8Array(64 * 1024) },
      { type: 'end', size: 0, xxh128: '0'.repeat(32) },
      { type: 'end', size: SIZE, xxh128: 'f'.repeat(32) },
    ]
    for (const op of ops)
      expect(deltaOpBytes(op), JSON.stringify(op).slice(0, 80)).toBe(encode({ ops: [toWireOp(op)] }).length)
  })
})
