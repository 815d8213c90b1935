import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalBackend, LocalBackend } from '@syncflow/backend-local'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { mirrorAndClose, startTestServer } from './helpers.js'

// The server makes small files durable in groups (one syncfs each, each Write answered only after
// its group's flush), but the engine sent a grpc:// target only 8 writes at once: a group held at
// most 8 files, and an initial sync of 10,000 empty files spent most of its time waiting on
// flushes, both sides idle (about 22 s, ~450 files/s, against ~12 s once more were in flight:
// perf investigation QA 30a). Counted here as the writes the server runs at once.

const FILES = 400

let srv: Awaited<ReturnType<typeof startTestServer>>
let src: string
beforeAll(async () => {
  srv = await startTestServer()
  src = await mkdtemp(join(tmpdir(), 'grpc-small-writes-src-'))
})
afterAll(async () => {
  await srv?.stop()
  if (src) await rm(src, { recursive: true, force: true })
})

describe('an initial sync of many small files into a server', () => {
  it('keeps more than 8 writes in flight, so that the server flushes them in groups, and copies them all', async () => {
    for (let d = 0; d < 4; d++) {
      await mkdir(join(src, `d${d}`))
      for (let i = 0; i < FILES / 4; i++) {
        await writeFile(join(src, `d${d}`, `f${i}`), i % 3 === 0 ? '' : `file ${d}/${i}\n`)
      }
    }
    let inFlight = 0
    let most = 0
    const write = LocalBackend.prototype.write
    // The server's own writes (the real ones, only counted).
    const spy = vi.spyOn(LocalBackend.prototype, 'write').mockImplementation(async function (this: LocalBackend, ...a) {
      inFlight++
      most = Math.max(most, inFlight)
      try {
        return await write.apply(this, a)
      } finally {
        inFlight--
      }
    })
    try {
      const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/t` })
      // The source is a LocalBackend too: its writes are none, so all counted are the server's.
      const events = await mirrorAndClose(createLocalBackend({ root: src }), target)
      expect(events.filter((e) => e.type === 'failed')).toEqual([])
    } finally {
      spy.mockRestore()
    }
    // 8 at once was the bound before; the engine now sends up to 64 small ones.
    expect(most).toBeGreaterThan(8)
    for (let d = 0; d < 4; d++) {
      expect((await readdir(join(srv.dir, 't', `d${d}`))).length).toBe(FILES / 4)
      for (let i = 0; i < FILES / 4; i += 7) {
        const rel = join(`d${d}`, `f${i}`)
        expect(await readFile(join(srv.dir, 't', rel), 'utf8')).toBe(await readFile(join(src, rel), 'utf8'))
        const mtime = (await stat(join(srv.dir, 't', rel))).mtimeMs - (await stat(join(src, rel))).mtimeMs
        expect(Math.abs(mtime)).toBeLessThan(1)
      }
    }
  })
})
