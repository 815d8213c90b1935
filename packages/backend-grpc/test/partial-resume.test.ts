import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalBackend, partialPathOf } from '@syncflow/backend-local'
import { type DoneEvent, MemoryStateStore, type RelPath, type SyncEvent, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { pseudoRandom, serverBehindProxy, slowBody } from './helpers.js'

// rsync --partial: `syncflow serve` keeps what an interrupted upload sent, and the next try sends
// only the rest (a patch of that partial), within a run (a retry) or on the next run.

const SIZE = 16 << 20
const env = serverBehindProxy('grpc-partial-')

describe('an interrupted upload to a syncflow serve', () => {
  it("is resumed by the run's retry: the bytes sent once are not sent again, and the server keeps no partial", async () => {
    const data = pseudoRandom(SIZE, 31)
    const src = join(env.local, 'retry')
    await mkdir(src, { recursive: true })
    await writeFile(join(src, 'big.bin'), data)
    const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/` })
    env.proxy.reset()
    env.proxy.cut(8 << 20)
    const events: SyncEvent[] = await lastValueFrom(
      sync(createLocalBackend({ root: src }), target, {
        mode: 'copy',
        retryDelayMs: 100,
        state: new MemoryStateStore(),
      }).pipe(toArray()),
    )
    await target.close()
    const done = events.at(-1) as DoneEvent
    expect(done.summary.failed, JSON.stringify(events.filter((e) => e.type === 'failed'))).toBe(0)
    const resumed = events.find((e) => e.type === 'notice' && e.code === 'UPLOAD_RESUMED' && e.path === 'big.bin')
    // What the server had kept (less than the 8 MiB sent before the cut: what was in flight is lost).
    const reused = Number(
      /: (\d+) of \d+ bytes were on the server/.exec(String(resumed?.type === 'notice' && resumed.message))?.[1],
    )
    expect(reused).toBeGreaterThanOrEqual(1 << 20)
    // Whole, the retry would have sent all of the file again after the 8 MiB the cut wasted.
    expect(env.proxy.up()).toBeLessThan((8 << 20) + SIZE - reused + (1 << 20))
    expect(done.summary.bytesTransferred).toBeLessThan(SIZE - reused + (1 << 20))
    expect((await readFile(join(env.srv.dir, 'big.bin'))).equals(data)).toBe(true)
    expect((await readdir(env.srv.dir)).filter((n) => n.startsWith('.'))).toEqual([])
  })

  it('of a file changed since is finished with the new bytes: the partial is only a base to patch', async () => {
    const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/` })
    try {
      const old = pseudoRandom(SIZE, 32)
      env.proxy.cut(10 << 20)
      const err = await target
        .write('changed.bin' as RelPath, slowBody(old), { mtimeMs: 1, size: SIZE })
        .catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'TRANSIENT' })
      const partial = partialPathOf('changed.bin')
      await expect.poll(() => readdir(env.srv.dir), { timeout: 10_000 }).toContain(partial)
      // (Less than was sent before the cut: what the server had not written yet went with the connection.)
      const kept = (await readFile(join(env.srv.dir, partial))).length
      expect(kept).toBeGreaterThanOrEqual(1 << 20)
      // Hidden from listings: no mirror ever deletes it, no source ever sends it.
      const listed: string[] = []
      for await (const e of target.list()) listed.push(e.path)
      expect(listed).not.toContain(partial)
      // Its first half kept, its second half new: what matches the partial is not sent again.
      const changed = Buffer.concat([old.subarray(0, SIZE / 2), pseudoRandom(SIZE / 2, 33)])
      env.proxy.reset()
      await target.write('changed.bin' as RelPath, slowBody(changed), { mtimeMs: 2, size: SIZE })
      expect((await readFile(join(env.srv.dir, 'changed.bin'))).equals(changed)).toBe(true)
      // (What still matches: the kept part of the unchanged first half.)
      expect(env.proxy.up()).toBeLessThan(SIZE - Math.min(kept, SIZE / 2) + (1 << 20))
      expect(await readdir(env.srv.dir)).not.toContain(partial)
    } finally {
      await target.close()
    }
  })
})
