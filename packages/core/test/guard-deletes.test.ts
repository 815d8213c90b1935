import { describe, expect, it } from 'vitest'
import { guardDeletes, listingErrorHoldsDeletes } from '../src/operators/guard-deletes.js'

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
  it('says the filters excluded every source file, not that the source is empty, when they did', () => {
    const empty = { ...base, sourceFiles: 0, deletes: 100 }
    const filtered = guardDeletes({ ...empty, sourceExcluded: 10 })
    expect(filtered).toMatchObject({ allowed: false, code: 'EMPTY_SOURCE' })
    expect(filtered).toHaveProperty('reason', expect.stringContaining('every source file is excluded by the filters'))
    expect(filtered).not.toHaveProperty('reason', expect.stringContaining('the source is empty'))
    expect(guardDeletes({ ...empty, sourceExcluded: 0 })).toHaveProperty(
      'reason',
      expect.stringMatching(/^the source is empty: refusing to delete all 100 file\(s\)/),
    )
    expect(guardDeletes({ ...empty, sourceExcluded: 10, allowEmptySource: true })).toEqual({ allowed: true })
  })
  it('names the sides by the names given (two-way sync: A and B), never as a source and a target', () => {
    const sideNames = { source: 'A', target: 'B' }
    const reasons = [
      guardDeletes({ ...base, sourceFiles: 0, deletes: 100, sideNames }),
      guardDeletes({ ...base, sourceFiles: 0, deletes: 100, sourceExcluded: 3, sideNames }),
      guardDeletes({ ...base, deletes: 60, maxDelete: { percent: 50 }, sideNames }),
      guardDeletes({ ...base, deletes: 60, maxDelete: { percent: 50, ofTargetFiles: null }, sideNames }),
    ].map((v) => (v.allowed ? '' : v.reason))
    expect(reasons).toEqual([
      'A is empty: refusing to delete all 100 file(s) of B (use --allow-empty-source if that is what you want)',
      'every file of A is excluded by the filters (--include, --exclude, .syncflowignore): refusing to delete all 100 file(s) of B (use --allow-empty-source if that is what you want)',
      "60 deletes (60.0% of B's 100 files) exceed --max-delete 50%: none run",
      "60 deletes held back: --max-delete 50% is measured against B's file count, not known until a full sync has listed B (the next one runs them, or refuses them)",
    ])
  })

  it('applies --max-delete as a count and as a percentage', () => {
    expect(guardDeletes({ ...base, maxDelete: { count: 5 } })).toEqual({ allowed: true })
    expect(guardDeletes({ ...base, maxDelete: { count: 4 } })).toMatchObject({ allowed: false, code: 'MAX_DELETE' })
    expect(guardDeletes({ ...base, maxDelete: { percent: 5 } })).toEqual({ allowed: true })
    expect(guardDeletes({ ...base, maxDelete: { percent: 4.9 } })).toMatchObject({ allowed: false, code: 'MAX_DELETE' })
  })
  // QA 16 F5: one file and five emptied directories were "6 deletes (300.0% of the target)".
  it('counts file deletes against --max-delete, not the directories that go with them, yet holds all back', () => {
    const emptied = { ...base, deletes: 6, dirDeletes: 5, targetFiles: 2, sourceFiles: 1 }
    expect(guardDeletes({ ...emptied, maxDelete: { percent: 50 } })).toEqual({ allowed: true })
    expect(guardDeletes({ ...emptied, maxDelete: { percent: 49 } })).toMatchObject({
      allowed: false,
      reason: '1 delete (50.0% of the target) exceeds --max-delete 49%: none run',
    })
    expect(guardDeletes({ ...emptied, maxDelete: { count: 1 } })).toEqual({ allowed: true })
    expect(guardDeletes({ ...emptied, maxDelete: { count: 0 } })).toMatchObject({ allowed: false, code: 'MAX_DELETE' })
    expect(guardDeletes({ ...emptied, listingErrors: 1 })).toMatchObject({ allowed: false, code: 'DELETES_SUPPRESSED' })
  })
  // QA 12 #1: a watch cycle lists only its changed paths, so its percentage is of a count given to it.
  it('measures a percentage against a given target file count, and holds every delete back when it is unknown', () => {
    // 5 deletes among the cycle's 5 listed files are 5% of the 100 files the target holds.
    const cycle = { ...base, targetFiles: 5, sourceFiles: 0, allowEmptySource: true }
    expect(guardDeletes({ ...cycle, maxDelete: { percent: 5, ofTargetFiles: 100 } })).toEqual({ allowed: true })
    expect(guardDeletes({ ...cycle, maxDelete: { percent: 4.9, ofTargetFiles: 100 } })).toEqual({
      allowed: false,
      code: 'MAX_DELETE',
      reason: "5 deletes (5.0% of the target's 100 files) exceed --max-delete 4.9%: none run",
    })
    // A count that drifted below what the run listed: the listing is the floor.
    expect(guardDeletes({ ...cycle, maxDelete: { percent: 50, ofTargetFiles: 2 } })).toMatchObject({
      allowed: false,
      reason: expect.stringContaining("100.0% of the target's 5 files"),
    })
    expect(guardDeletes({ ...cycle, maxDelete: { percent: 100, ofTargetFiles: null } })).toMatchObject({
      allowed: false,
      code: 'MAX_DELETE',
      reason: expect.stringMatching(
        /^5 deletes held back: --max-delete 100% is measured against the target's file count/,
      ),
    })
    expect(guardDeletes({ ...cycle, deletes: 0, maxDelete: { percent: 10, ofTargetFiles: null } })).toEqual({
      allowed: true,
    })
  })
})

describe('listingErrorHoldsDeletes', () => {
  it('holds deletes back for every listing error but a name skipped for a control character', () => {
    expect(listingErrorHoldsDeletes({ code: 'PERMISSION', path: 'd' })).toBe(true)
    expect(listingErrorHoldsDeletes({ code: 'INVALID_PATH' })).toBe(true)
    expect(listingErrorHoldsDeletes({ code: 'INVALID_PATH', path: 'a//b' })).toBe(true)
    expect(listingErrorHoldsDeletes({ code: 'INVALID_PATH', path: 'd/odd\tname' })).toBe(false)
  })
  // QA F9: bytes `a\t\xe9` come decoded as `a\t\ufffd`; `caf\xe9` held the deletes back, this did not.
  it('holds deletes back for a name that is not UTF-8 (decoded with U+FFFD), a control character in it or not', () => {
    expect(listingErrorHoldsDeletes({ code: 'INVALID_PATH', path: 'caf\ufffd' })).toBe(true)
    expect(listingErrorHoldsDeletes({ code: 'INVALID_PATH', path: 'a\t\ufffd' })).toBe(true)
    expect(listingErrorHoldsDeletes({ code: 'INVALID_PATH', path: 'd\ufffd/x\ny' })).toBe(true)
  })
})
