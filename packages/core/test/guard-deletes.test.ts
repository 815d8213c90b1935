import { describe, expect, it } from 'vitest'
import { guardDeletes } from '../src/operators/guard-deletes.js'

const base = { deletes: 5, targetFiles: 100, sourceFiles: 95, failures: 0, listingErrors: 0, aborted: false }

describe('guardDeletes', () => {
  it('allows deletes when nothing went wrong', () => {
    expect(guardDeletes(base)).toEqual({ allowed: true })
  })
  it('refuses after a failure, a listing error or an interruption', () => {
    expect(guardDeletes({ ...base, failures: 1 })).toMatchObject({ allowed: false, code: 'DELETES_SUPPRESSED' })
    expect(guardDeletes({ ...base, listingErrors: 1 })).toMatchObject({ allowed: false, code: 'DELETES_SUPPRESSED' })
    expect(guardDeletes({ ...base, aborted: true })).toMatchObject({ allowed: false, code: 'INTERRUPTED' })
  })
  it('refuses to let an empty source empty a target unless allowed', () => {
    const empty = { ...base, sourceFiles: 0, deletes: 100 }
    expect(guardDeletes(empty)).toMatchObject({ allowed: false, code: 'EMPTY_SOURCE' })
    expect(guardDeletes({ ...empty, allowEmptySource: true })).toEqual({ allowed: true })
  })
  it('applies --max-delete as a count and as a percentage', () => {
    expect(guardDeletes({ ...base, maxDelete: { count: 5 } })).toEqual({ allowed: true })
    expect(guardDeletes({ ...base, maxDelete: { count: 4 } })).toMatchObject({ allowed: false, code: 'MAX_DELETE' })
    expect(guardDeletes({ ...base, maxDelete: { percent: 5 } })).toEqual({ allowed: true })
    expect(guardDeletes({ ...base, maxDelete: { percent: 4.9 } })).toMatchObject({ allowed: false, code: 'MAX_DELETE' })
  })
})
