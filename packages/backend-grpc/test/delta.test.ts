import { link, mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { createLocalBackend } from '@syncflow/backend-local'
import {
  createWholeFileHasher,
  deltaDirection,
  deltaTransfer,
  type RelPath,
  SIGNATURE_IN_PROGRESS,
  sync,
} from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGrpcBackend, type GrpcBackend } from '../src/index.js'
import { pseudoRandom, startProxy, startTestServer } from './helpers.js'

const p = (s: string) => s as RelPath
async function xxh128(data: Buffer): Promise<string> {
  const h = await createWholeFileHasher()
  h.update(data)
  return h.hex()
}
let srv: Awaited<ReturnType<typeof startTestServer>>
let proxy: Awaited<ReturnType<typeof startProxy>>
let remote: GrpcBackend
let localDir: string

beforeAll(async () => {
  srv = await startTestServer()
  proxy = await startProxy(srv.server.port)
  remote = await createGrpcBackend({ uri: `grpc://127.0.0.1:${proxy.port}/` })
  localDir = (await startTestServer()).dir // a temp dir (its server is not used)
})

afterAll(async () => {
  await remote?.close()
  await proxy?.close()
  await srv?.stop()
})

/** 8 MiB base, with 3 small edits: an overwrite, an insertion (a shift) and a deletion. */
function edits(base: Buffer): Buffer {
  const b = Buffer.from(base)
  b.fill(0x55, 1_000_000, 1_000_100)
  return Buffer.concat([
    b.subarray(0, 3_000_000),
    Buffer.from('inserted!'),
    b.subarray(3_000_000, 6_000_000),
    b.subarray(6_000_500),
  ])
}

describe('delta over gRPC', () => {
  it('push: updates a remote file sending only the changed blocks', async () => {
    const base = pseudoRandom(8 << 20, 7)
    const next = edits(base)
    await writeFile(join(srv.dir, 'big.bin'), base)
    await writeFile(join(localDir, 'big.bin'), next)
    const local = createLocalBackend({ root: localDir })
    expect(deltaDirection(local, remote)).toBe('push')
    const planned = await remote.stat(p('big.bin'))
    proxy.reset()
    const entry = await deltaTransfer(
      local,
      remote,
      p('big.bin'),
      { mtimeMs: 1_700_000_000_000, size: next.length },
      { expect: planned! },
    )
    expect(entry?.size).toBe(next.length)
    expect((await readFile(join(srv.dir, 'big.bin'))).equals(next)).toBe(true)
    // Signature (~2900 blocks × 12 B) + three edits of at most ~2 blocks each (block 2896 B).
    expect(proxy.up() + proxy.down()).toBeLessThan(200_000)
  })

  it('pull: updates a local file from a remote one, the server computing the delta', async () => {
    const base = pseudoRandom(8 << 20, 9)
    const next = edits(base)
    await writeFile(join(srv.dir, 'pull.bin'), next)
    await writeFile(join(localDir, 'pull.bin'), base)
    const local = createLocalBackend({ root: localDir })
    expect(deltaDirection(remote, local)).toBe('pull')
    proxy.reset()
    const entry = await deltaTransfer(remote, local, p('pull.bin'), { mtimeMs: 1_700_000_000_000, size: next.length })
    expect(entry?.size).toBe(next.length)
    expect((await readFile(join(localDir, 'pull.bin'))).equals(next)).toBe(true)
    expect(proxy.up() + proxy.down()).toBeLessThan(200_000)
  })

  it('push of the same content with another mtime: the server reads its file, keeps it, and sets the mtime', async () => {
    const data = pseudoRandom(4 << 20, 13)
    await writeFile(join(srv.dir, 'same.bin'), data)
    await writeFile(join(localDir, 'same.bin'), data)
    const inode = (await stat(join(srv.dir, 'same.bin'))).ino
    const planned = await remote.stat(p('same.bin'))
    proxy.reset()
    const entry = await deltaTransfer(
      createLocalBackend({ root: localDir }),
      remote,
      p('same.bin'),
      { mtimeMs: 1_600_000_000_000, size: data.length },
      { expect: planned! },
    )
    expect(entry).toMatchObject({ size: data.length, mtimeMs: 1_600_000_000_000 })
    // Not rewritten: the same inode, with the new mtime; only the signature and two ops crossed.
    const after = await stat(join(srv.dir, 'same.bin'))
    expect(after.ino).toBe(inode)
    expect(after.mtimeMs).toBe(1_600_000_000_000)
    expect(proxy.up() + proxy.down()).toBeLessThan(40_000)
  })

  it.each(['push', 'pull'] as const)(
    '%s of the same content with another mtime onto a file with a second hard link: written anew, the other name left as it was',
    async (direction) => {
      const data = pseudoRandom(1 << 20, 17)
      const [from, to] = direction === 'push' ? [localDir, srv.dir] : [srv.dir, localDir]
      const name = `linked-${direction}.bin`
      await writeFile(join(from, name), data)
      await writeFile(join(to, name), data)
      await rm(join(to, `${name}.other`), { force: true })
      await link(join(to, name), join(to, `${name}.other`))
      const old = new Date('2020-01-01T00:00:00Z')
      await utimes(join(to, name), old, old)
      const local = createLocalBackend({ root: localDir })
      const [source, target] = direction === 'push' ? [local, remote] : [remote, local]
      const planned = await target.stat(p(name))
      const entry = await deltaTransfer(
        source,
        target,
        p(name),
        { mtimeMs: 1_600_000_000_000, size: data.length },
        { expect: planned! },
      )
      // Its mtime is not set in place (that would change the other name's too): a new file.
      expect(entry).toMatchObject({ size: data.length, mtimeMs: 1_600_000_000_000 })
      const [file, other] = await Promise.all([stat(join(to, name)), stat(join(to, `${name}.other`))])
      expect(file.ino).not.toBe(other.ino)
      expect(file.mtimeMs).toBe(1_600_000_000_000)
      expect(other.mtimeMs).toBe(old.getTime())
      expect((await readFile(join(to, name))).equals(data)).toBe(true)
      expect((await readFile(join(to, `${name}.other`))).equals(data)).toBe(true)
    },
  )

  it('push of the same content, but the server file changed under the signature: CHECKSUM, the file is sent whole', async () => {
    const data = pseudoRandom(1 << 20, 14)
    await writeFile(join(srv.dir, 'moving.bin'), data)
    await writeFile(join(localDir, 'moving.bin'), data)
    const sig = await remote.signature(p('moving.bin'), 0)
    const changed = Buffer.from(data)
    changed[12345]! ^= 1
    await writeFile(join(srv.dir, 'moving.bin'), changed) // same size, other bytes
    const ops = (async function* () {
      yield { type: 'copy' as const, index: 0, count: Math.ceil(data.length / sig!.blockSize) }
      yield { type: 'end' as const, size: data.length, xxh128: await xxh128(data) }
    })()
    await expect(remote.patch(p('moving.bin'), sig!.blockSize, ops, { mtimeMs: 1 })).rejects.toMatchObject({
      code: 'CHECKSUM',
    })
    expect((await readFile(join(srv.dir, 'moving.bin'))).equals(changed)).toBe(true)
  })

  it('sync: a same-size file with another mtime goes to the delta without hashing both sides first', async () => {
    const same = pseudoRandom(2 << 20, 15)
    const base = pseudoRandom(2 << 20, 16)
    const changed = Buffer.from(base)
    changed.fill(1, 100_000, 100_064) // same size, other bytes
    await rm(join(localDir, 'tree'), { recursive: true, force: true })
    await rm(join(srv.dir, 'tree'), { recursive: true, force: true })
    await mkdir(join(localDir, 'tree'))
    await mkdir(join(srv.dir, 'tree'))
    await writeFile(join(localDir, 'tree/same.bin'), same)
    await writeFile(join(srv.dir, 'tree/same.bin'), same)
    await writeFile(join(localDir, 'tree/changed.bin'), changed)
    await writeFile(join(srv.dir, 'tree/changed.bin'), base)
    const t = new Date('2020-01-01T00:00:00Z')
    await utimes(join(localDir, 'tree/same.bin'), t, t)
    await utimes(join(localDir, 'tree/changed.bin'), t, t)
    const inode = (await stat(join(srv.dir, 'tree/same.bin'))).ino
    const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${proxy.port}/tree` })
    const hashes: string[] = []
    const hash = target.hash.bind(target)
    target.hash = (path, algo, o) => {
      hashes.push(path)
      return hash(path, algo, o)
    }
    proxy.reset()
    const events = await lastValueFrom(
      sync(createLocalBackend({ root: join(localDir, 'tree') }), target, { mode: 'mirror' }).pipe(toArray()),
    )
    await target.close()
    const done = events.at(-1)
    expect(done?.type === 'done' && done.summary.failed).toBe(0)
    expect(hashes).toEqual([])
    expect((await readFile(join(srv.dir, 'tree/changed.bin'))).equals(changed)).toBe(true)
    const after = await stat(join(srv.dir, 'tree/same.bin'))
    expect(after.ino).toBe(inode) // unchanged content: only its mtime set
    expect(after.mtimeMs).toBe(t.getTime())
    expect(proxy.up() + proxy.down()).toBeLessThan(100_000)
  })

  it('a patch whose result does not match is refused with CHECKSUM and changes nothing', async () => {
    const base = pseudoRandom(1 << 20, 3)
    await writeFile(join(srv.dir, 'keep.bin'), base)
    const sig = await remote.signature(p('keep.bin'), 0)
    expect(sig?.size).toBe(base.length)
    // The right length, a wrong digest: only the whole-file hash can tell.
    const ops = (async function* () {
      yield { type: 'copy' as const, index: 0, count: 2 }
      yield { type: 'end' as const, size: 2 * sig!.blockSize, xxh128: '0'.repeat(32) }
    })()
    await expect(remote.patch(p('keep.bin'), sig!.blockSize, ops, { mtimeMs: 1 })).rejects.toMatchObject({
      code: 'CHECKSUM',
    })
    expect((await readFile(join(srv.dir, 'keep.bin'))).equals(base)).toBe(true)
  })

  it('signature of a missing file is undefined', async () => {
    expect(await remote.signature(p('missing.bin'), 0)).toBeUndefined()
    expect(await remote[SIGNATURE_IN_PROGRESS]('missing.bin', 0)).toBeUndefined()
  })

  it('a signature in progress fills in, batch by batch, to the whole signature', async () => {
    // 6,144 blocks of 4 KiB: the server sends them on every 2,048 blocks (8 MiB) as it reads.
    const base = pseudoRandom(24 << 20, 21)
    await writeFile(join(srv.dir, 'batches.bin'), base)
    const whole = await remote.signature(p('batches.bin'), 4096)
    const arriving = await remote[SIGNATURE_IN_PROGRESS]('batches.bin', 4096)
    expect(arriving).toBeDefined()
    const { signature, progress } = arriving!
    expect([signature.blockSize, signature.size, signature.weak.length]).toEqual([4096, base.length, 6144])
    const seen = [progress.received()]
    while (progress.received() < 6144) {
      await progress.more()
      seen.push(progress.received())
    }
    expect(seen[0]).toBeGreaterThan(0) // resolved with the first batch in
    expect(seen[0]).toBeLessThan(6144) // the last block counts only once the stream ended well
    expect(seen).toEqual([...seen].sort((a, b) => a - b))
    expect(signature).toEqual(whole)
    arriving!.cancel() // complete: a no-op
  })

  it('push against a signature in progress: the right bytes, about as few as with the whole signature', async () => {
    const base = pseudoRandom(24 << 20, 22)
    const next = Buffer.from(base)
    for (let at = 100_000; at < next.length; at += 3_000_000) next.fill(0x33, at, at + 64)
    await writeFile(join(srv.dir, 'progress.bin'), base)
    await writeFile(join(localDir, 'progress.bin'), next)
    proxy.reset()
    const entry = await deltaTransfer(createLocalBackend({ root: localDir }), remote, p('progress.bin'), {
      mtimeMs: 1_600_000_000_000,
      size: next.length,
    })
    expect(entry?.size).toBe(next.length)
    expect((await readFile(join(srv.dir, 'progress.bin'))).equals(next)).toBe(true)
    // 9 edits (one or two ~5 KiB blocks each) and an 11-byte signature entry per block: not the 24 MiB.
    expect(proxy.up() + proxy.down()).toBeLessThan(200_000)
  })
})

describe('content index', () => {
  it('a renamed big file is copied on the server, not uploaded', async () => {
    const data = pseudoRandom(6 << 20, 11)
    await writeFile(join(srv.dir, 'old-name.bin'), data)
    await writeFile(join(localDir, 'new-name.bin'), data)
    const local = createLocalBackend({ root: localDir })
    proxy.reset()
    const entry = await remote.copyFrom(
      local,
      p('new-name.bin'),
      p('new-name.bin'),
      {
        mtimeMs: 1_700_000_000_000,
        size: data.length,
      },
      { expect: null },
    )
    expect(entry?.size).toBe(data.length)
    expect((await readFile(join(srv.dir, 'new-name.bin'))).equals(data)).toBe(true)
    expect(proxy.up() + proxy.down()).toBeLessThan(20_000)
  })

  it('a copy made on the server reports the lookups as wire bytes, not the file size; progress reaches the size', async () => {
    const fresh = await startTestServer({ contentIndex: { refreshAfterMs: 0 } })
    const counted = await startProxy(fresh.server.port)
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${counted.port}/` })
    try {
      const data = pseudoRandom(3 << 20, 15)
      await writeFile(join(fresh.dir, 'held.bin'), data)
      await writeFile(join(localDir, 'wanted.bin'), data)
      const wire: number[] = []
      const progress: number[] = []
      counted.reset()
      const entry = await b.copyFrom(
        createLocalBackend({ root: localDir }),
        p('wanted.bin'),
        p('wanted.bin'),
        { mtimeMs: 1_700_000_000_000, size: data.length },
        { expect: null, onWireBytes: (n) => wire.push(n), onProgress: (n) => progress.push(n) },
      )
      expect(entry?.size).toBe(data.length)
      expect((await readFile(join(fresh.dir, 'wanted.bin'))).equals(data)).toBe(true)
      expect(wire).toHaveLength(1)
      expect(wire[0]).toBeGreaterThan(64) // the lookup carries a sha256 in hex
      expect(wire[0]).toBeLessThanOrEqual(counted.up()) // the proxy also sees HTTP/2 framing and headers
      expect(progress.at(-1)).toBe(data.length)
    } finally {
      await b.close()
      await counted.close()
      await fresh.stop()
    }
  })

  it('finds a file put on the server by other means after the index was built (relist on a miss)', async () => {
    const fresh = await startTestServer({ contentIndex: { refreshAfterMs: 0 } })
    try {
      const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${fresh.server.port}/` })
      const local = createLocalBackend({ root: localDir })
      const data = pseudoRandom(2 << 20, 14)
      await writeFile(join(localDir, 'later.bin'), data)
      const meta = { mtimeMs: 1, size: data.length }
      // The first lookup builds the index (nothing there yet).
      expect(await b.copyFrom(local, p('later.bin'), p('later.bin'), meta)).toBeUndefined()
      await writeFile(join(fresh.dir, 'placed-by-hand.bin'), data)
      expect((await b.copyFrom(local, p('later.bin'), p('copy.bin'), meta))?.size).toBe(data.length)
      expect((await readFile(join(fresh.dir, 'copy.bin'))).equals(data)).toBe(true)
      // Every indexed copy removed by hand and another put there: the stale entries do not hide it.
      await rm(join(fresh.dir, 'copy.bin'))
      await rm(join(fresh.dir, 'placed-by-hand.bin'))
      await writeFile(join(fresh.dir, 'again.bin'), data)
      expect((await b.copyFrom(local, p('later.bin'), p('copy2.bin'), meta))?.size).toBe(data.length)
      await b.close()
    } finally {
      await fresh.stop()
    }
  })

  it('declines (undefined) when the server has no such bytes, after a cheap size probe', async () => {
    const local = createLocalBackend({ root: localDir })
    await writeFile(join(localDir, 'unique.bin'), pseudoRandom(3 << 20, 12))
    const entry = await remote.copyFrom(local, p('unique.bin'), p('unique.bin'), { mtimeMs: 1, size: 3 << 20 })
    expect(entry).toBeUndefined()
    // Same size as a file there, different bytes: hashed, not found.
    await writeFile(join(srv.dir, 'same-size.bin'), pseudoRandom(3 << 20, 13))
    expect(
      await remote.copyFrom(local, p('unique.bin'), p('unique.bin'), { mtimeMs: 1, size: 3 << 20 }),
    ).toBeUndefined()
  })

  it('streams whole uploads in chunks', async () => {
    const data = pseudoRandom(5 << 20, 5)
    const progress: number[] = []
    await remote.write(
      p('up/stream.bin'),
      Readable.from([data]),
      { mtimeMs: 1 },
      { onProgress: (n) => progress.push(n) },
    )
    expect((await readFile(join(srv.dir, 'up/stream.bin'))).equals(data)).toBe(true)
    expect(progress.at(-1)).toBe(data.length)
  })
})
