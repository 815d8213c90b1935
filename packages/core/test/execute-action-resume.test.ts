import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend } from '../src/backend/mem-backend.js'
import type { Action, RelPath, ResumeRecord, SyncEvent, WriteOptions } from '../src/index.js'
import { MemoryStateStore, SyncError } from '../src/index.js'
import { executeAction } from '../src/operators/execute-action.js'
import { writeText } from '../src/testkit/index.js'

/** A mem target whose writes do what a resuming backend does with `opts.resume`: load, save, say it resumed. */
async function setup() {
  const source = createMemBackend()
  const target = createMemBackend()
  target.copyFrom = async () => undefined
  const seen: (ResumeRecord | undefined)[] = []
  const write = target.write.bind(target)
  target.write = async (path, body, meta, opts: WriteOptions = {}) => {
    seen.push(opts.resume)
    const before = await opts.resume?.load()
    await opts.resume?.save({ before: before ?? null, n: seen.length })
    if (before !== undefined) opts.resume?.resumed('resumed 3 bytes')
    return write(path, body, meta, opts)
  }
  await writeText(source, 'a.bin', 'abc')
  const s = await source.stat('a.bin' as RelPath)
  const action: Action = { kind: 'copy', path: 'a.bin' as RelPath, source: s!, reason: 'test' }
  return { source, target, action, seen }
}

const run = (events: ReturnType<typeof executeAction>) => lastValueFrom(events.pipe(toArray()))

describe('executeAction: a write may resume what an interrupted run left (WriteOptions.resume)', () => {
  it("gives the write a record of its path in the state store's meta, and says UPLOAD_RESUMED when it resumed", async () => {
    const { source, target, action, seen } = await setup()
    const state = new MemoryStateStore()
    const first = await run(executeAction(action, { source, target, resume: state }))
    expect(seen[0]).toBeDefined()
    expect(first.filter((e) => e.type === 'notice')).toEqual([])
    expect(await state.getMeta('resume/a.bin')).toEqual({ before: null, n: 1 })
    // (A copy expects no file there: the first one goes, as a killed run's would not have landed.)
    await target.remove('a.bin' as RelPath)
    const second: SyncEvent[] = await run(executeAction(action, { source, target, resume: state }))
    expect(second.find((e) => e.type === 'notice')).toMatchObject({
      code: 'UPLOAD_RESUMED',
      path: 'a.bin',
      message: 'resumed 3 bytes',
    })
    // Before the file's `completed`, which ends its events.
    expect(second.at(-1)?.type).toBe('completed')
  })

  it('gives none without a state store, or in a dry run', async () => {
    const { source, target, action, seen } = await setup()
    await run(executeAction(action, { source, target }))
    await run(executeAction(action, { source, target, dryRun: true, resume: new MemoryStateStore() }))
    expect(seen).toEqual([undefined])
  })

  it('says UPLOAD_KEPT, before the failure, when an interrupted write kept its work for the next run', async () => {
    const { source, target, action } = await setup()
    target.write = async (_path, body, _meta, opts: WriteOptions = {}) => {
      body.destroy()
      opts.resume?.kept('upload of a.bin kept for resume (1 of 2 parts)')
      throw new SyncError('ABORTED', 'interrupted', { path: 'a.bin' })
    }
    const events = await run(executeAction(action, { source, target, resume: new MemoryStateStore() }))
    expect(events.map((e) => (e.type === 'notice' ? e.code : e.type))).toEqual(['started', 'UPLOAD_KEPT', 'failed'])
  })
})
