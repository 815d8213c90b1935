import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type SyncEvent, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { tempDir } from './helpers.js'

// A name with a control character is reported and skipped; the run's other deletes go ahead, so a
// directory that exists only on the target and holds such a name cannot go (rmdir, never recursive).
it('a target directory left holding a name skipped as unsafe is skipped for that reason, not for files added since', async () => {
  const src = await tempDir('unsafe-src')
  const dst = await tempDir('unsafe-dst')
  await writeFile(join(src, 'keep'), 'k')
  await writeFile(join(dst, 'keep'), 'k')
  await writeFile(join(dst, 'extra'), 'x')
  await mkdir(join(dst, 'p'))
  await writeFile(join(dst, 'p', 'normal'), 'n')
  await writeFile(join(dst, 'p', 'odd\tname'), 'o')
  const events: SyncEvent[] = await lastValueFrom(
    sync(createLocalBackend({ root: src }), createLocalBackend({ root: dst }), { mode: 'mirror' }).pipe(toArray()),
  )
  expect(events.filter((e) => e.type === 'failed').map((e) => e.type === 'failed' && e.path)).toEqual(['p/odd\tname'])
  const skipped = events.find((e) => e.type === 'skipped' && e.path === 'p')
  expect(skipped?.type === 'skipped' && skipped.reason).toContain('a name skipped as unsafe')
  expect((await readdir(dst)).sort()).toEqual(['keep', 'p'])
  expect(await readdir(join(dst, 'p'))).toEqual(['odd\tname'])
})
