import { lastValueFrom, type Observable, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend } from '../src/backend/mem-backend.js'
import type { Action, FailedEvent } from '../src/index.js'
import { diff } from '../src/operators/diff.js'
import { listSide } from '../src/operators/list-side.js'
import { transfer } from '../src/operators/transfer.js'
import { listAll, writeText } from '../src/testkit/index.js'

// QA 30c: a script composing its own pipeline that forgot `plan` (diff's pairs straight into
// transfer) crashed its process with "TypeError: Cannot read properties of undefined (reading
// 'bytes')" from inside syncflow (an unhandled rejection), and the pipeline never ended.
describe('transfer given something that is not an Action', () => {
  it('fails each item as USAGE, saying what transfer takes, and ends', async () => {
    const source = createMemBackend()
    const target = createMemBackend()
    await writeText(source, 'a.txt', 'a')
    await writeText(source, 'b.txt', 'b')
    const onError = (e: unknown): never => {
      throw e
    }
    // (A script in plain JavaScript: no type checker stops it.)
    const pairs = diff(listSide(source, { onError }), listSide(target, { onError })) as unknown as Observable<Action>
    const events = await lastValueFrom(pairs.pipe(transfer({ source, target, concurrency: 2 }), toArray()))
    const failed = events.filter((e): e is FailedEvent => e.type === 'failed')
    expect(failed.map((e) => e.path)).toEqual(['a.txt', 'b.txt'])
    for (const e of failed) {
      expect(e.error.code).toBe('USAGE')
      expect(e.error.message).toMatch(/not an Action/)
      expect(e.error.hint).toMatch(/plan/)
    }
    expect(events.some((e) => e.type === 'completed')).toBe(false)
    expect(await listAll(target)).toEqual([])
  })
})
