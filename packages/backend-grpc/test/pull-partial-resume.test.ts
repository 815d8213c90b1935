import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalBackend, partialPathOf } from '@syncflow/backend-local'
import { type DoneEvent, type SyncEvent, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { pseudoRandom, serverBehindProxy } from './helpers.js'

// rsync --partial, the download direction: a pull from a `syncflow serve` into a local directory
// whose connection is lost midway keeps what it wrote as the file's partial, and the run's retry
// (or the next run) fetches only what the partial lacks, as a delta patched onto it.

const SIZE = 16 << 20
const env = serverBehindProxy('grpc-pull-partial-')

/** A copy from the served directory `dir` (through the proxy) into the local `dst`: all its events. */
async function pull(
  dir: string,
  dst: string,
  opts: { signal?: AbortSignal; bwlimit?: number } = {},
): Promise<SyncEvent[]> {
  const source = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/${dir}` })
  const target = createLocalBackend({ root: dst })
  try {
    return await lastValueFrom(sync(source, target, { mode: 'copy', retryDelayMs: 100, ...opts }).pipe(toArray()))
  } finally {
    await source.close()
    await target.close()
  }
}

/** The number in "N of M bytes were here already" of the run's DOWNLOAD_RESUMED notice (NaN: none). */
function reusedOf(events: readonly SyncEvent[]): number {
  const notice = events.find((e) => e.type === 'notice' && e.code === 'DOWNLOAD_RESUMED')
  const message = notice?.type === 'notice' ? notice.message : ''
  return Number(/: (\d+) of \d+ bytes were here already/.exec(message)?.[1])
}

describe('an interrupted pull from a syncflow serve', () => {
  it("whose connection is lost is resumed by the run's retry: what was written is not fetched again", async () => {
    const data = pseudoRandom(SIZE, 41)
    await mkdir(join(env.srv.dir, 'lost'))
    await writeFile(join(env.srv.dir, 'lost', 'big.bin'), data)
    const dst = join(env.local, 'lost')
    env.proxy.reset()
    env.proxy.cutDown(8 << 20)
    const events = await pull('lost', dst)
    const done = events.at(-1) as DoneEvent
    expect(done.summary.failed, JSON.stringify(events.filter((e) => e.type === 'failed'))).toBe(0)
    const reused = reusedOf(events)
    // (What the target had written when the cable was pulled: whole MiBs, less than came.)
    expect(reused).toBeGreaterThanOrEqual(1 << 20)
    // Fetched whole again, the retry would have moved all of the file after the 8 MiB the cut wasted.
    expect(env.proxy.down()).toBeLessThan((8 << 20) + SIZE - reused + (1 << 20))
    expect(done.summary.bytesTransferred).toBeLessThan(SIZE - reused + (1 << 20))
    expect((await readFile(join(dst, 'big.bin'))).equals(data)).toBe(true)
    expect(await readdir(dst)).toEqual(['big.bin'])
  })

  it('stopped (abort) keeps its partial; a source changed since ends in its new bytes all the same', async () => {
    const data = pseudoRandom(SIZE, 42)
    const file = join(env.srv.dir, 'changed', 'big.bin')
    await mkdir(join(env.srv.dir, 'changed'))
    await writeFile(file, data)
    const dst = join(env.local, 'changed')
    const partial = join(dst, partialPathOf('big.bin'))
    // Slowed (--bwlimit), and stopped once the target has written some MiB of it.
    const ac = new AbortController()
    const first = pull('changed', dst, { signal: ac.signal, bwlimit: 4 << 20 })
    await expect
      .poll(async () => (await readFile(partial).catch(() => Buffer.alloc(0))).length, { timeout: 20_000 })
      .toBeGreaterThan(3 << 20)
    ac.abort()
    const stopped = await first
    expect((stopped.at(-1) as DoneEvent).summary.interrupted).toBe(true)
    const kept = await readFile(partial)
    expect(stopped).toContainEqual(
      expect.objectContaining({
        type: 'notice',
        code: 'DOWNLOAD_KEPT',
        message: `download of big.bin kept for resume (${kept.length} of ${SIZE} bytes written): the next run fetches the rest`,
      }),
    )
    expect(kept.length).toBeGreaterThan(3 << 20)
    expect(kept.length).toBeLessThan(SIZE)
    expect(kept.equals(data.subarray(0, kept.length))).toBe(true)
    expect(await readdir(dst)).toEqual([partialPathOf('big.bin')])

    // Its first MiB is new on the source now: what the partial holds beyond it still matches.
    const changed = Buffer.concat([pseudoRandom(1 << 20, 43), data.subarray(1 << 20)])
    await writeFile(file, changed)
    const events = await pull('changed', dst)
    const done = events.at(-1) as DoneEvent
    expect(done.summary.failed, JSON.stringify(events.filter((e) => e.type === 'failed'))).toBe(0)
    expect(reusedOf(events)).toBeGreaterThan(kept.length - (2 << 20))
    expect(done.summary.bytesTransferred).toBeLessThan(SIZE - kept.length + (2 << 20))
    expect((await readFile(join(dst, 'big.bin'))).equals(changed)).toBe(true)
    expect(await readdir(dst)).toEqual(['big.bin'])
  })
})
