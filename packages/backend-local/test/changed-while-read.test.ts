import { readFile, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FILL, type Fillable } from '@syncflow/core'
import { readText, rejectionOf } from '@syncflow/core/testkit'
import { describe, expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { codeOf, p, tempDir } from './helpers.js'

// A source file written to while it is read: the read ends in TRANSIENT (CONFLICT when held to
// the planned entry), never in a torn copy.

/** Consumes a stream to its end (or its error). */
async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}

describe('a local source file that changes while it is read', () => {
  it('fails the stream at its end with TRANSIENT (same size, new bytes and mtime)', async () => {
    const root = await tempDir('changed-read')
    // Above the size read whole when opened (128 KiB): streamed.
    await writeFile(join(root, 'f'), 'A'.repeat(300_000))
    const b = createLocalBackend({ root })
    const stream = await b.read(p('f'))
    // Written after the open, before the read reaches the end: a version the reader is not reading.
    await writeFile(join(root, 'f'), 'B'.repeat(300_000))
    await utimes(join(root, 'f'), new Date(), new Date(Date.now() + 5000))
    const err = await rejectionOf(drain(stream))
    expect(codeOf(err)).toBe('TRANSIENT')
    expect((err as Error).message).toContain('changed while it was read')
  })

  it('fails a read held to the planned entry (expect) with CONFLICT: a retry with it could only be refused', async () => {
    const root = await tempDir('changed-read-expect')
    await writeFile(join(root, 'f'), 'A'.repeat(300_000))
    const b = createLocalBackend({ root })
    const planned = await b.stat(p('f'))
    const stream = await b.read(p('f'), undefined, { expect: planned! })
    await writeFile(join(root, 'f'), 'B'.repeat(300_001))
    const err = await rejectionOf(drain(stream))
    expect(codeOf(err)).toBe('CONFLICT')
    expect((err as Error).message).toContain('changed while it was read (its size went from 300000 to 300001 bytes)')
  })

  it('an unchanged file reads to its end as before', async () => {
    const root = await tempDir('unchanged-read')
    await writeFile(join(root, 'f'), 'steady')
    const b = createLocalBackend({ root })
    expect(await readText(b, 'f')).toBe('steady')
  })

  it('a write into another local directory from such a read is abandoned: the target keeps its old file', async () => {
    const src = await tempDir('changed-read-src')
    const dst = await tempDir('changed-read-dst')
    await writeFile(join(src, 'f'), 'A'.repeat(300_000))
    await writeFile(join(dst, 'f'), 'old')
    const source = createLocalBackend({ root: src })
    const target = createLocalBackend({ root: dst })
    const body = await source.read(p('f'))
    expect(typeof (body as Partial<Fillable>)[FILL]).toBe('function') // the local write reads by filling
    await writeFile(join(src, 'f'), 'C'.repeat(300_001))
    const failed = await rejectionOf(target.write(p('f'), body, { mtimeMs: 1_700_000_000_000 }))
    expect(codeOf(failed)).toBe('TRANSIENT')
    expect(await readFile(join(dst, 'f'), 'utf8')).toBe('old')
  })

  describe('a small file (up to 128 KiB), read whole when opened', () => {
    it('gives the bytes of the version opened: a write after read() returned does not tear them', async () => {
      const root = await tempDir('small-read')
      await writeFile(join(root, 'f'), 'A'.repeat(100_000))
      const b = createLocalBackend({ root })
      const stream = await b.read(p('f'))
      await writeFile(join(root, 'f'), 'B'.repeat(100_000))
      let text = ''
      for await (const chunk of stream) text += String(chunk)
      expect(text).toBe('A'.repeat(100_000))
    })

    it('refuses a file that is no longer the one planned (read with expect), before reading it', async () => {
      const root = await tempDir('small-read-expect')
      await writeFile(join(root, 'f'), 'old')
      const b = createLocalBackend({ root })
      const planned = await b.stat(p('f'))
      await writeFile(join(root, 'f'), 'newer')
      const err = await rejectionOf(b.read(p('f'), undefined, { expect: planned! }))
      expect(codeOf(err)).toBe('CONFLICT')
    })

    it('reads a range, and can be filled as a streamed read can', async () => {
      const root = await tempDir('small-read-range')
      await writeFile(join(root, 'f'), '0123456789')
      const b = createLocalBackend({ root })
      const body = await b.read(p('f'), { offset: 2, length: 5 })
      const fill = (body as Partial<Fillable>)[FILL]
      expect(typeof fill).toBe('function')
      const buf = Buffer.alloc(8)
      let n = 0
      for (;;) {
        const got = await (body as unknown as Fillable)[FILL](buf, n, buf.length - n)
        if (got === 0) break
        n += got
      }
      expect(buf.subarray(0, n).toString()).toBe('23456')
      body.destroy()
    })
  })
})
