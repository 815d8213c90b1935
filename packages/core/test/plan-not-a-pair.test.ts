import { from, lastValueFrom, type Observable, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend } from '../src/backend/mem-backend.js'
import type { EntryPair } from '../src/operators/diff.js'
import { listSide } from '../src/operators/list-side.js'
import { plan } from '../src/operators/plan.js'
import { writeText } from '../src/testkit/index.js'

// QA 30c: a script that gave plan a listing's entries (listSide without diff) had each one decided
// "nothing to do" (kind 'none'): its pipeline copied nothing and said nothing.
describe('plan given something that is not an EntryPair', () => {
  it('decides each an error, USAGE, whose hint names diff', async () => {
    const source = createMemBackend()
    const target = createMemBackend()
    await writeText(source, 'a.txt', 'a')
    const entries = from(listSide(source, { onError: () => {} })) as unknown as Observable<EntryPair>
    const outcomes = await lastValueFrom(
      entries.pipe(
        plan({
          source,
          target,
          mode: 'copy',
          compare: 'size-mtime',
          modifyWindowMs: 1,
          hashAlgo: undefined,
          notice: () => {},
        }),
        toArray(),
      ),
    )
    expect(outcomes).toHaveLength(1)
    const decision = outcomes[0]!.decision
    expect(decision.kind).toBe('error')
    if (decision.kind !== 'error') return
    expect(decision.error.code).toBe('USAGE')
    expect(decision.error.path).toBe('a.txt')
    expect(decision.error.hint).toMatch(/diff/)
  })
})
