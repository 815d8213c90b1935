import { readFile, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FILL, type Fillable } from '@syncflow/core'
import { readText, rejectionOf } from '@syncflow/core/testkit'
import { describe, expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { codeOf, p, tempDir } from './helpers.js'

// A source file written to while it is read: the read ends in TRANSIENT, never in a torn copy.

/** Consumes a stream to its end (or its error). */
async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}

describe('a local source file that changes while it is read', () => {
  it('fails the stream at its end with TRANSIENT (same size, new bytes and mtime)', async () => {
    const root = await tempDir('changed-read')
    await writeFile(join(root, 'f'), 'A'.repeat(100_000))
    const b = createLocalBackend({ root })
    const stream = await b.read(p('f'))
    // Written after the open, before the read reaches the end: a version the reader is not reading.
    await writeFile(join(root, 'f'), 'B'.repeat(100_000))
    await utimes(join(root, 'f'), new Date(), new Date(Date.now() + 5000))
    const err = await rejectionOf(drain(stream))
    expect(codeOf(err)).toBe('TRANSIENT')
    expect((err as Error).message).toContain('changed while it was read')
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
})
