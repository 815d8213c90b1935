import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FailedEvent, type SyncEvent, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, beforeAll, expect, it } from 'vitest'
// A test-only import of the sibling package (not a dependency of this one).
import { createLocalBackend } from '../../backend-local/src/index.js'
import { testBackend } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

// S3 335 (noticed): a source directory whose path is over the key limit was reported as a failure
// of its own (`failed D…/D…: INVALID_PATH … 1205 bytes`) beside each file below it, though S3 stores
// no directory: that line was noise. rclone names the files only.
describeS3('a directory whose path is over the key limit, S3 target', (env) => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-long-dir-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('fails the files below it, each once, not the directory; the rest is uploaded', async () => {
    const src = join(dir, 'src')
    // Five levels of 210 bytes: the fifth ends past 1,024 bytes, the fourth within.
    const parts = ['a', 'b', 'c', 'd', 'e'].map((c) => c.repeat(210))
    const long = parts.join('/')
    await mkdir(join(src, long), { recursive: true })
    await writeFile(join(src, long, 'f1'), '1')
    await writeFile(join(src, long, 'f2'), '2')
    await writeFile(join(src, parts.slice(0, 4).join('/'), 'near'), 'n')
    await writeFile(join(src, 'top'), 't')
    const target = testBackend(env, 'long-dir')
    try {
      expect(Buffer.byteLength(long)).toBeGreaterThan(target.capabilities.maxPathBytes ?? 0)
      const events: SyncEvent[] = await lastValueFrom(
        sync(createLocalBackend({ root: src }), target, { mode: 'mirror' }).pipe(toArray()),
      )
      const failed = events.filter((e): e is FailedEvent => e.type === 'failed')
      expect(failed.map((e) => [e.path, e.error.code]).sort()).toEqual([
        [`${long}/f1`, 'INVALID_PATH'],
        [`${long}/f2`, 'INVALID_PATH'],
      ])
      const done = events.at(-1)
      expect(done).toMatchObject({ type: 'done', summary: { failed: 2, done: { copy: 2 } } })
    } finally {
      await target.close()
    }
  })
})
