import { Readable } from 'node:stream'
import fc from 'fast-check'
import { firstValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend, type MemBackend } from '../src/backend/mem-backend.js'
import {
  type DoneEvent,
  type FailedEvent,
  heldBytesOf,
  type RelPath,
  type SyncEvent,
  sync,
  withFill,
  withHeldBytes,
} from '../src/index.js'
import { readText, writeText } from '../src/testkit/index.js'

// QA 7 #6: a source whose read() ends short of (or runs past) the size its listing gave had the
// short file published as the source's ("copied", exit 0), replacing the target's good copy, and
// the mirror's deletes ran.

/** A mem source whose read of `path` gives `bytes` instead of the file; a target that takes only writes. */
async function setup(path: string, bytes: Buffer): Promise<{ src: MemBackend; dst: MemBackend }> {
  const src = createMemBackend()
  const dst = createMemBackend()
  dst.copyFrom = async () => undefined // mem → mem would be a direct copy: this target streams
  await writeText(src, path, 'n'.repeat(2000))
  await writeText(src, 'other.txt', 'fine')
  await writeText(dst, path, 'o'.repeat(1500)) // another size: not "unchanged"
  await writeText(dst, 'extra.txt', 'not in the source')
  const read = src.read.bind(src)
  src.read = async (p: RelPath, ...rest) => (p === path ? Readable.from([bytes]) : read(p, ...rest))
  return { src, dst }
}

const run = async (src: MemBackend, dst: MemBackend): Promise<SyncEvent[]> =>
  firstValueFrom(sync(src, dst, { mode: 'mirror' }).pipe(toArray()))

describe('a read whose length is not the listed size', () => {
  it.each([
    ['short', 1000, 'gave 1000 bytes where its listing gave 2000'],
    ['long', 2005, 'gave more than 2000 bytes where its listing gave 2000'],
    ['empty', 0, 'gave 0 bytes where its listing gave 2000'],
  ])('%s: the item fails, nothing is written, the deletes are held', async (_name, n, says) => {
    const { src, dst } = await setup('a.txt', Buffer.alloc(n, 0x78))
    const events = await run(src, dst)
    const failed = events.filter((e): e is FailedEvent => e.type === 'failed')
    expect(failed.map((e) => [e.path, e.error.code])).toEqual([['a.txt', 'CONFLICT']])
    expect(failed[0]?.error.message).toMatch(/^CONFLICT: mem\.read \(a\.txt\): the source's read /)
    expect(failed[0]?.error.message).toContain(says)
    expect(await readText(dst, 'a.txt')).toBe('o'.repeat(1500))
    expect(await readText(dst, 'other.txt')).toBe('fine')
    expect(await readText(dst, 'extra.txt')).toBe('not in the source')
    expect((events.at(-1) as DoneEvent).summary).toMatchObject({ failed: 1, done: { delete: 0 } })
  })

  it('property: a file is published only when its read gave exactly its listed size', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4000 }), async (n) => {
        const { src, dst } = await setup('a.txt', Buffer.alloc(n, 0x6e))
        const summary = ((await run(src, dst)).at(-1) as DoneEvent).summary
        expect(await readText(dst, 'a.txt')).toBe(n === 2000 ? 'n'.repeat(2000) : 'o'.repeat(1500))
        expect(summary.failed).toBe(n === 2000 ? 0 : 1)
        expect(await readText(dst, 'extra.txt').catch(() => undefined)).toBe(
          n === 2000 ? undefined : 'not in the source',
        )
      }),
      { numRuns: 40 },
    )
  })
})

/** A read as LocalBackend gives a small file's: held whole (`HeldBytes`), and `Fillable` from the same bytes. */
function heldStream(bytes: Buffer): Readable {
  let pos = 0
  const stream = withFill(Readable.from(bytes.length > 0 ? [bytes] : []), async (buf, offset, length) => {
    const n = Math.min(length, bytes.length - pos)
    bytes.copy(buf, offset, pos, pos + n)
    pos += n
    return n
  })
  return withHeldBytes(stream, bytes)
}

/** `setup` with a read held in memory, and a target that takes held bytes as they are (an S3 PUT does). */
async function setupHeld(path: string, bytes: Buffer): Promise<{ src: MemBackend; dst: MemBackend; took: Buffer[] }> {
  const { src, dst } = await setup(path, bytes)
  const read = src.read.bind(src)
  src.read = async (p: RelPath, ...rest) => (p === path ? heldStream(bytes) : read(p, ...rest))
  const took: Buffer[] = []
  const write = dst.write.bind(dst)
  dst.write = async (p, body, meta, opts) => {
    const held = heldBytesOf(body)
    if (held === undefined) return write(p, body, meta, opts)
    took.push(held)
    body.destroy()
    return write(p, Readable.from([held]), meta, opts)
  }
  return { src, dst, took }
}

describe('a read held in memory (HeldBytes)', () => {
  it('of the listed size: the target gets the held bytes themselves, not a stream around them', async () => {
    const bytes = Buffer.alloc(2000, 0x6e)
    const { src, dst, took } = await setupHeld('a.txt', bytes)
    const events = await run(src, dst)
    expect(took).toEqual([bytes])
    expect(await readText(dst, 'a.txt')).toBe('n'.repeat(2000))
    expect((events.at(-1) as DoneEvent).summary).toMatchObject({ failed: 0, bytesTransferred: 2000 + 4 })
  })

  it.each([
    ['short', 1000],
    ['long', 2005],
    ['empty', 0],
  ])('%s: failed before the target takes it, nothing is written, the deletes are held', async (_name, n) => {
    const { src, dst, took } = await setupHeld('a.txt', Buffer.alloc(n, 0x78))
    const events = await run(src, dst)
    const failed = events.filter((e): e is FailedEvent => e.type === 'failed')
    expect(failed.map((e) => [e.path, e.error.code])).toEqual([['a.txt', 'CONFLICT']])
    expect(failed[0]?.error.message).toContain(`gave ${n} bytes where its listing gave 2000`)
    expect(took).toEqual([])
    expect(await readText(dst, 'a.txt')).toBe('o'.repeat(1500))
    expect(await readText(dst, 'extra.txt')).toBe('not in the source')
  })

  it('is no longer held once reading began', async () => {
    const stream = heldStream(Buffer.from('abc'))
    expect(heldBytesOf(stream)).toEqual(Buffer.from('abc'))
    stream.read()
    expect(heldBytesOf(stream)).toBeUndefined()
  })
})
