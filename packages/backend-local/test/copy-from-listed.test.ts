import { readFile, truncate, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type SyncEvent, sync } from '@syncflow/core'
import { rejectionOf } from '@syncflow/core/testkit'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { p, tempDir } from './helpers.js'

// QA 8 #2: a local → local copy published the file as it was when opened, stamped with the
// mtime its listing gave: a file truncated (or edited) between the listing and the copy came out as
// other content under the old mtime, "copied", exit 0, and the mirror's deletes ran.

async function pair(): Promise<{ src: string; dst: string }> {
  return { src: await tempDir('copy-from-listed-src'), dst: await tempDir('copy-from-listed-dst') }
}

const T = new Date('2024-01-01T00:00:00Z')

describe('copyFrom of a file that changed since it was listed', () => {
  it.each([
    ['truncated', async (f: string) => truncate(f, 1000), 'its size went from 200000 to 1000 bytes'],
    [
      'grown',
      async (f: string) => writeFile(f, Buffer.alloc(5), { flag: 'a' }),
      'its size went from 200000 to 200005 bytes',
    ],
  ])('%s: CONFLICT, nothing written', async (_name, change, says) => {
    const { src, dst } = await pair()
    await writeFile(join(src, 'a.bin'), Buffer.alloc(200_000, 0x41))
    await utimes(join(src, 'a.bin'), T, T)
    const source = createLocalBackend({ root: src })
    const target = createLocalBackend({ root: dst })
    const listed = await source.stat(p('a.bin'))
    await change(join(src, 'a.bin'))
    const err = await rejectionOf(
      target.copyFrom(source, p('a.bin'), p('a.bin'), { size: listed!.size, mtimeMs: listed!.mtimeMs }),
    )
    expect(err).toMatchObject({
      code: 'CONFLICT',
      message: `CONFLICT: local.copyFrom (a.bin): the source file changed since it was listed (${says}); nothing was written`,
    })
    expect(await target.stat(p('a.bin'))).toBeUndefined()
  })

  it('in a mirror: the file fails, the good copy and the extra file stay', async () => {
    const { src, dst } = await pair()
    await writeFile(join(src, 'a.bin'), Buffer.alloc(200_000, 0x41))
    await writeFile(join(dst, 'a.bin'), 'good old copy')
    await writeFile(join(dst, 'extra'), 'not in the source')
    const source = createLocalBackend({ root: src })
    // Truncated between the listing and the copy: the listing is wrapped to do it once a.bin is listed.
    const list = source.list.bind(source)
    source.list = async function* (opts) {
      for await (const e of list(opts)) {
        if (e.path === 'a.bin') await truncate(join(src, 'a.bin'), 1000)
        yield e
      }
    }
    const events: SyncEvent[] = await lastValueFrom(
      sync(source, createLocalBackend({ root: dst }), { mode: 'mirror' }).pipe(toArray()),
    )
    const failed = events.filter((e) => e.type === 'failed')
    expect(failed.map((e) => e.type === 'failed' && [e.path, e.error.code])).toEqual([['a.bin', 'CONFLICT']])
    expect(await readFile(join(dst, 'a.bin'), 'utf8')).toBe('good old copy')
    expect(await readFile(join(dst, 'extra'), 'utf8')).toBe('not in the source')
  })
})
