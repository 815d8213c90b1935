import { firstValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend, type MemBackend } from '../src/backend/mem-backend.js'
import { syncPaths } from '../src/continuous/sync-paths.js'
import { FilesFromSeen } from '../src/engine/files-from-seen.js'
import { createPathFilter, type RelPath, SyncError, type SyncEvent, type SyncOptions, sync } from '../src/index.js'
import { writeText } from '../src/testkit/index.js'

// --files-from paths the source lacks are said once (rsync reports each; rclone says nothing).

const p = (s: string) => s as RelPath
async function seed(b: MemBackend, paths: string[]): Promise<void> {
  for (const path of paths) await writeText(b, path, 'x')
}
const notices = (events: SyncEvent[]) =>
  events.flatMap((e) => (e.type === 'notice' && e.code === 'FILES_FROM_MISSING' ? [e.message] : []))
async function run(src: MemBackend, dst: MemBackend, opts: Partial<SyncOptions>): Promise<SyncEvent[]> {
  return firstValueFrom(sync(src, dst, { mode: 'mirror', ...opts }).pipe(toArray()))
}

describe('FilesFromSeen', () => {
  it('counts a listed directory found by what is below it, and names at most five of the rest', () => {
    const seen = new FilesFromSeen(new Set(['d', 'a', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']))
    seen.see('a')
    seen.see('d/x/y')
    expect(seen.report()).toBe(
      '7 paths listed by --files-from not in the source (or excluded): "m1", "m2", "m3", "m4", "m5" and 2 more',
    )
    for (let i = 1; i <= 7; i++) seen.see(`m${i}`)
    expect(seen.report()).toBeUndefined()
  })
})

describe('sync with a --files-from list', () => {
  it('says once which listed paths the source lacks, or another filter leaves out', async () => {
    const [src, dst] = [createMemBackend({ capabilities: { emptyDirs: false } }), createMemBackend()]
    await seed(src, ['a', 'd/b', 'x.log'])
    const filter = createPathFilter({ filesFrom: ['a', 'd', 'gone', 'x.log'].map(p), exclude: ['*.log'] })
    const events = await run(src, dst, { filter })
    expect(notices(events)).toEqual(['2 paths listed by --files-from not in the source (or excluded): "gone", "x.log"'])
    // All found: nothing said.
    expect(notices(await run(src, dst, { filter: createPathFilter({ filesFrom: [p('a'), p('d')] }) }))).toEqual([])
  })

  it('says nothing after a listing error (what was not listed is not known to be missing)', async () => {
    const [src, dst] = [createMemBackend(), createMemBackend()]
    await seed(src, ['a', 'd/b'])
    src.faults = { list: (path) => (path === 'd' ? new SyncError('PERMISSION', 'denied') : undefined) }
    const events = await run(src, dst, { filter: createPathFilter({ filesFrom: [p('a'), p('d/b')] }) })
    expect(events.some((e) => e.type === 'failed' && e.stage === 'list')).toBe(true)
    expect(notices(events)).toEqual([])
  })

  it('a watch cycle, which lists only its changed paths, says nothing of the others', async () => {
    const [src, dst] = [createMemBackend(), createMemBackend()]
    await seed(src, ['a', 'b'])
    const filter = createPathFilter({ filesFrom: [p('a'), p('b')] })
    const events = await firstValueFrom(syncPaths(src, dst, [p('a')], { mode: 'mirror', filter }).pipe(toArray()))
    expect(events.filter((e) => e.type === 'completed').map((e) => e.type === 'completed' && e.action.path)).toEqual([
      'a',
    ])
    expect(notices(events)).toEqual([])
  })
})
