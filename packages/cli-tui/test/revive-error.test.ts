import { SyncError } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { formatError } from '../src/errors/format-error.js'
import { reviveError } from '../src/errors/revive-error.js'

describe('reviveError', () => {
  // QA 18 #1: `syncflow ui` printed a summary's fatal AUTH stop as "internal error: [object Object]".
  it("prints a summary's serialized fatal error as the error it was, not as a bug", () => {
    const fatal = new SyncError('AUTH', 'stopped: 3 transfers in a row were refused', {
      hint: 'Check the key.',
    }).toJSON()
    const e = reviveError(fatal)
    expect(e.code).toBe('AUTH')
    const text = formatError(e, false)
    expect(text).toContain('stopped: 3 transfers in a row were refused')
    expect(text).toContain('  Check the key.')
    expect(text).not.toMatch(/internal error|object Object/)
  })

  it('takes errors as asSyncError does', () => {
    const e = new SyncError('NOT_FOUND', 'gone')
    expect(reviveError(e)).toBe(e)
    expect(reviveError(new Error('boom')).code).toBe('UNKNOWN')
  })
})
