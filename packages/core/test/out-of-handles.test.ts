import { describe, expect, it } from 'vitest'
import { outOfHandles } from '../src/state/out-of-handles.js'
import { toStateError } from '../src/state/to-state-error.js'

// QA 22 #15: out of file handles, the state store said its package was missing, its native module
// did not load, or the directory was not writable.
describe('outOfHandles', () => {
  it('knows EMFILE and ENFILE by code or by words, and nothing else while handles remain', () => {
    expect(outOfHandles(Object.assign(new Error('x'), { code: 'EMFILE' }))).toBe(true)
    expect(outOfHandles(Object.assign(new Error('x'), { code: 'ENFILE' }))).toBe(true)
    expect(outOfHandles(new Error('libnode_sqlite3.so: cannot open shared object file: Too many open files'))).toBe(
      true,
    )
    expect(outOfHandles(Object.assign(new Error('unable to open database file'), { code: 'SQLITE_CANTOPEN' }))).toBe(
      false,
    )
  })

  it('makes the state store say so, with what to do, instead of a permission or bug message', () => {
    const err = toStateError(
      Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' }),
      'state.write',
      '/s',
    )
    expect(err.code).toBe('TRANSIENT')
    expect(err.message).toContain('too many open files to use the state store')
    expect(err.hint).toContain('ulimit -n')
  })
})
