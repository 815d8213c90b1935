import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { FILL, type Fillable, fillableOf, SyncError, withFill } from '@syncflow/core'
import { rejectionOf } from '@syncflow/core/testkit'
import { describe, expect, it } from 'vitest'
import { EARLY_FLUSH_BYTES } from '../src/early-flush.js'
import { createLocalBackend } from '../src/index.js'
import { codeOf, p, tempDir } from './helpers.js'

/** A Readable (that must not be streamed) answering fills with `fill`; records the buffers it is given. */
function fillBody(fill: (buf: Uint8Array, offset: number, length: number) => Promise<number>) {
  const buffers = new Set<ArrayBufferLike>()
  const body = withFill(
    new Readable({
      read() {
        this.destroy(new Error('streamed, not filled'))
      },
    }),
    (buf, offset, length) => {
      buffers.add(buf.buffer)
      return fill(buf, offset, length)
    },
  )
  return { body, buffers }
}

describe('LocalBackend.read as a Fillable', () => {
  it('fills the caller’s buffer with the bytes of the file or range, then 0, like the stream', async () => {
    const root = await tempDir('fill-read')
    const data = randomBytes(3_000_000)
    await writeFile(join(root, 'f.bin'), data)
    const b = createLocalBackend({ root })
    for (const range of [
      undefined,
      { offset: 1000 },
      { offset: 5, length: 2_000_000 },
      { offset: 2_999_990, length: 100 },
    ]) {
      const stream = await b.read(p('f.bin'), range)
      const f = fillableOf(stream) as Fillable
      expect(f).toBeDefined()
      const buf = Buffer.alloc(70_000)
      const parts: Buffer[] = []
      for (let n = await f[FILL](buf, 3, 65_536); n > 0; n = await f[FILL](buf, 3, 65_536)) {
        parts.push(Buffer.from(buf.subarray(3, 3 + n)))
      }
      stream.destroy()
      const start = range?.offset ?? 0
      const end = range?.length === undefined ? data.length : Math.min(data.length, start + range.length)
      expect(Buffer.concat(parts).equals(data.subarray(start, end))).toBe(true)
    }
  })
})

describe('LocalBackend.write of a Fillable body', () => {
  it('writes exactly its bytes through two buffers of its own, with mtime, mode and progress', async () => {
    const root = await tempDir('fill-write')
    const data = randomBytes(5 * 1024 * 1024 + 3)
    await writeFile(join(root, 'src.bin'), data)
    const b = createLocalBackend({ root })
    const source = fillableOf(await b.read(p('src.bin'))) as Fillable
    const { body, buffers } = fillBody((buf, offset, length) => source[FILL](buf, offset, Math.min(length, 300_000)))
    const progress: number[] = []
    const entry = await b.write(
      p('dst.bin'),
      body,
      { mtimeMs: 1_600_000_000_000, mode: 0o640 },
      {
        onProgress: (n) => progress.push(n),
      },
    )
    expect((await readFile(join(root, 'dst.bin'))).equals(data)).toBe(true)
    expect(entry).toMatchObject({ size: data.length, mtimeMs: 1_600_000_000_000, mode: 0o640 })
    expect(buffers.size).toBe(2)
    expect(body.destroyed).toBe(true)
    expect(progress.at(-1)).toBe(data.length)
    expect(await readdir(root)).toEqual(['dst.bin', 'src.bin'])
  })

  it('a fill that fails leaves the destination as it was and no temp file', async () => {
    const root = await tempDir('fill-fail')
    const b = createLocalBackend({ root })
    await writeFile(join(root, 'f.bin'), 'old')
    let calls = 0
    const { body } = fillBody(async (buf, offset, length) => {
      if (++calls > 3) throw new SyncError('CHECKSUM', 'the patch did not check out')
      buf.fill(1, offset, offset + length)
      return length
    })
    expect(codeOf(await rejectionOf(b.write(p('f.bin'), body, { mtimeMs: 1 })))).toBe('CHECKSUM')
    expect(body.destroyed).toBe(true)
    expect(await readFile(join(root, 'f.bin'), 'utf8')).toBe('old')
    expect(await readdir(root)).toEqual(['f.bin'])
  })

  it('an abort while filling ends the write with ABORTED and removes its temp file', async () => {
    const root = await tempDir('fill-abort')
    const b = createLocalBackend({ root })
    const abort = new AbortController()
    let calls = 0
    const { body } = fillBody(async (_buf, _offset, length) => {
      if (++calls === 3) abort.abort()
      return length
    })
    expect(codeOf(await rejectionOf(b.write(p('f.bin'), body, { mtimeMs: 1 }, { signal: abort.signal })))).toBe(
      'ABORTED',
    )
    expect(await readdir(root)).toEqual([])
  })

  it('an abort as the write starts ends it with ABORTED and no error event that no one hears, filled or streamed (QA 10 #1)', async () => {
    // A filled body's bytes come through its fill: nothing listens for 'error' on the stream. An
    // abort that destroyed it with an error crashed the process (syncflow serve, when a client
    // cancelled a patch just as the write began).
    const root = await tempDir('fill-abort-start')
    const b = createLocalBackend({ root })
    const uncaught: unknown[] = []
    const onUncaught = (err: unknown) => uncaught.push(err)
    process.on('uncaughtException', onUncaught)
    try {
      for (const kind of ['filled', 'streamed'] as const) {
        // Aborted right after write() returns (its temp file not open yet), then one more turn of the
        // event loop later each time: while it opens, at its first fill or chunk, mid-file.
        for (let turns = 0; turns < 6; turns++) {
          const abort = new AbortController()
          const body =
            kind === 'filled'
              ? fillBody(async (buf, offset, length) => {
                  buf.fill(7, offset, offset + length)
                  return length
                }).body
              : new Readable({
                  read() {
                    this.push(Buffer.alloc(64 * 1024, 7))
                  },
                })
          const writing = b.write(p('f.bin'), body, { mtimeMs: 1 }, { signal: abort.signal })
          for (let i = 0; i < turns; i++) await new Promise(setImmediate)
          abort.abort()
          expect(codeOf(await rejectionOf(writing)), `${kind}, aborted after ${turns} turns`).toBe('ABORTED')
          expect(body.destroyed).toBe(true)
          // An 'error' event is emitted on the next tick after the destroy.
          await new Promise(setImmediate)
          expect(uncaught, `${kind}, aborted after ${turns} turns`).toEqual([])
          expect(await readdir(root)).toEqual([])
        }
      }
    } finally {
      process.off('uncaughtException', onUncaught)
    }
  })

  it('a file bigger than the early-flush interval is written whole (flushed while written, fsynced before the rename)', async () => {
    const root = await tempDir('fill-big')
    const b = createLocalBackend({ root })
    const pattern = randomBytes(1024 * 1024 + 7)
    const size = EARLY_FLUSH_BYTES + 3 * 1024 * 1024 + 1
    const want = createHash('sha256')
    let pos = 0
    const { body } = fillBody(async (buf, offset, length) => {
      const n = Math.min(length, size - pos)
      for (let done = 0; done < n; ) {
        const at = (pos + done) % pattern.length
        const k = Math.min(n - done, pattern.length - at)
        buf.set(pattern.subarray(at, at + k), offset + done)
        done += k
      }
      want.update(buf.subarray(offset, offset + n))
      pos += n
      return n
    })
    await b.write(p('big.bin'), body, { mtimeMs: 1 })
    expect((await stat(join(root, 'big.bin'))).size).toBe(size)
    const got = createHash('sha256')
    for await (const chunk of await b.read(p('big.bin'))) got.update(chunk as Buffer)
    expect(got.digest('hex')).toBe(want.digest('hex'))
  })
})
