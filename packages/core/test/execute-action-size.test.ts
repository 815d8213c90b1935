import { Readable } from 'node:stream'
import fc from 'fast-check'
import { firstValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend, type MemBackend } from '../src/backend/mem-backend.js'
import { type DoneEvent, type FailedEvent, type RelPath, type SyncEvent, sync } from '../src/index.js'
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
