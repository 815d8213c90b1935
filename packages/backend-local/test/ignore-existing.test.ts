import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { syncLocal, tempDir } from './helpers.js'

// Review 23 F4: a file `d` and a directory `d/` are two pairs, so the planner never saw that the
// target had something at the name: --ignore-existing had the mirror delete the target's directory
// (and all it held) to copy the source's file there, or the target's file to make a directory.
describe('--ignore-existing with another kind of entry in the way', () => {
  it("keeps the target's directory where the source has a file, with what it holds", async () => {
    const src = await tempDir('ie-src')
    const dst = await tempDir('ie-dst')
    await writeFile(join(src, 'd'), 'a file in the source')
    await writeFile(join(src, 'new'), 'n')
    await mkdir(join(dst, 'd'))
    await writeFile(join(dst, 'd', 'precious'), 'keep')
    await writeFile(join(dst, 'stale'), 's')
    const events = await syncLocal(src, dst, { mode: 'mirror', ignoreExisting: true })
    expect((await readdir(dst)).sort()).toEqual(['d', 'new'])
    expect(await readFile(join(dst, 'd', 'precious'), 'utf8')).toBe('keep')
    expect(events.at(-1)).toMatchObject({ summary: { failed: 0, done: { copy: 1, delete: 1 } } })
  })

  it("keeps the target's file where the source has a directory, and nothing goes below it", async () => {
    const src = await tempDir('ie-src')
    const dst = await tempDir('ie-dst')
    await mkdir(join(src, 'f'))
    await writeFile(join(src, 'f', 'x'), 'x')
    await writeFile(join(dst, 'f'), 'a file in the target')
    const events = await syncLocal(src, dst, { mode: 'mirror', ignoreExisting: true })
    expect((await stat(join(dst, 'f'))).isFile()).toBe(true)
    expect(await readFile(join(dst, 'f'), 'utf8')).toBe('a file in the target')
    expect(events.at(-1)).toMatchObject({ summary: { failed: 0, done: { delete: 0 } } })
  })

  it('a dry run says what the run would do: the clashes skipped, no delete of what they keep', async () => {
    const src = await tempDir('ie-src')
    const dst = await tempDir('ie-dst')
    await writeFile(join(src, 'd'), 'a file in the source')
    await mkdir(join(src, 'f'))
    await writeFile(join(src, 'f', 'x'), 'x')
    await writeFile(join(src, 'new'), 'n')
    await mkdir(join(dst, 'd'))
    await writeFile(join(dst, 'd', 'precious'), 'keep')
    await writeFile(join(dst, 'f'), 'a file in the target')
    await writeFile(join(dst, 'stale'), 's')
    // (Names the clash check once took for its own markers: review 24b B3.)
    for (const name of ['missing', 'dir']) {
      await mkdir(join(src, name, 'sub'), { recursive: true })
      await writeFile(join(src, name, 'sub', 'y'), 'y')
      await writeFile(join(dst, name), 'a file in the target')
    }
    const events = await syncLocal(src, dst, { mode: 'mirror', ignoreExisting: true, dryRun: true })
    const would = events.flatMap((e) => (e.type === 'completed' ? [`${e.action.kind} ${e.action.path}`] : []))
    expect(would.sort()).toEqual(['copy new', 'delete stale'])
    const skipped = events.flatMap((e) => (e.type === 'skipped' ? [e.path] : []))
    expect(skipped.sort()).toEqual([
      'd',
      'dir',
      'dir/sub',
      'dir/sub/y',
      'f',
      'f/x',
      'missing',
      'missing/sub',
      'missing/sub/y',
    ])
    // The summary, whose `done` a dry run's headline says (review 24 #6), counts the same.
    expect(events.at(-1)).toMatchObject({ summary: { done: { copy: 1, delete: 1, mkdir: 0 } } })
    expect((await readdir(dst)).sort()).toEqual(['d', 'dir', 'f', 'missing', 'stale'])
  })

  // Review 24 #7: the dry run's check stated every new path and each missing directory above it
  // (about four requests per path on S3): now each directory once, and nothing below a missing one.
  it('a dry run of a new tree asks the target about each new directory once, not each path', async () => {
    const src = await tempDir('ie-src')
    const dst = await tempDir('ie-dst')
    for (let i = 0; i < 5; i++) {
      await mkdir(join(src, `a${i}`, 'b'), { recursive: true })
      for (let k = 0; k < 20; k++) await writeFile(join(src, `a${i}`, 'b', `f${k}`), 'x')
    }
    const target = createLocalBackend({ root: dst })
    let stats = 0
    const counted = new Proxy(target, {
      get(t, prop) {
        const v = Reflect.get(t, prop, t)
        if (prop !== 'stat') return typeof v === 'function' ? v.bind(t) : v
        return (...args: Parameters<typeof target.stat>) => {
          stats++
          return target.stat(...args)
        }
      },
    })
    const events = await lastValueFrom(
      sync(createLocalBackend({ root: src }), counted, { mode: 'mirror', ignoreExisting: true, dryRun: true }).pipe(
        toArray(),
      ),
    )
    expect(events.filter((e) => e.type === 'completed')).toHaveLength(110)
    expect(stats).toBeLessThanOrEqual(10)
  })
})
