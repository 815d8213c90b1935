import { describe, expect, it } from 'vitest'
import { ifMatchValue, learnIfMatch, PRECONDITION_FAILED } from '../src/learn-if-match.js'

/**
 * Fault cases on top of the real-server tests (if-match.test.ts, where radosgw takes the unquoted
 * form): services that ignore If-Match, take the quoted form, or take neither. `service` plays the
 * object store: it holds one ETag and answers each PUT the way such a service would.
 */
function service(kind: 'ignores' | 'quoted' | 'unquoted' | 'neither', etag: string) {
  const calls: string[] = []
  let current = etag
  return {
    calls,
    change: (to: string) => {
      current = to
    },
    check: async () => {
      calls.push('HEAD')
      if (current !== etag) throw Object.assign(new Error('changed'), { code: 'CONFLICT' })
    },
    put: async (ifMatch: string | undefined) => {
      calls.push(`PUT ${ifMatch ?? '-'}`)
      const honoured =
        ifMatch === undefined ||
        kind === 'ignores' ||
        (kind === 'quoted' && ifMatch === `"${current}"`) ||
        (kind === 'unquoted' && ifMatch === current)
      if (!honoured) return PRECONDITION_FAILED
      current = 'new'
      return 'written'
    },
  }
}

describe('learnIfMatch', () => {
  it('a service that ignores If-Match: the probe PUT writes (after the HEAD re-check) and the form is none', async () => {
    const s = service('ignores', 'e1')
    expect(await learnIfMatch('e1', s.check, s.put)).toEqual({ form: 'none', written: 'written' })
    expect(s.calls).toEqual(['HEAD', 'PUT "syncflow-probe-no-such-etag"'])
  })

  it('a service that takes the quoted ETag (RFC 7232, AWS)', async () => {
    const s = service('quoted', 'e1')
    expect(await learnIfMatch('e1', s.check, s.put)).toEqual({ form: 'quoted', written: 'written' })
    expect(s.calls).toEqual(['HEAD', 'PUT "syncflow-probe-no-such-etag"', 'PUT "e1"'])
  })

  it('a service that takes only the bare ETag (radosgw 16)', async () => {
    const s = service('unquoted', 'e1')
    expect(await learnIfMatch('e1', s.check, s.put)).toEqual({ form: 'unquoted', written: 'written' })
    expect(s.calls).toEqual(['HEAD', 'PUT "syncflow-probe-no-such-etag"', 'PUT "e1"', 'PUT e1'])
  })

  it('a service that refuses every form: a second HEAD re-check, then an unconditional PUT, and the form is none', async () => {
    const s = service('neither', 'e1')
    expect(await learnIfMatch('e1', s.check, s.put)).toEqual({ form: 'none', written: 'written' })
    expect(s.calls).toEqual(['HEAD', 'PUT "syncflow-probe-no-such-etag"', 'PUT "e1"', 'PUT e1', 'HEAD', 'PUT -'])
  })

  it('an object changed before the first re-check: CONFLICT, nothing written', async () => {
    const s = service('quoted', 'e1')
    s.change('e2')
    await expect(learnIfMatch('e1', s.check, s.put)).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(s.calls).toEqual(['HEAD'])
  })

  it('an object changed between the re-check and the PUTs: the PUTs are refused, the second re-check says CONFLICT', async () => {
    const s = service('quoted', 'e1')
    const check = s.check
    let checks = 0
    const changingCheck = async () => {
      await check()
      if (++checks === 1) s.change('e2') // another writer, right after the HEAD
    }
    await expect(learnIfMatch('e1', changingCheck, s.put)).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(s.calls).toEqual(['HEAD', 'PUT "syncflow-probe-no-such-etag"', 'PUT "e1"', 'PUT e1', 'HEAD'])
  })

  it('ifMatchValue quotes only in the quoted form', () => {
    expect(ifMatchValue('quoted', 'abc')).toBe('"abc"')
    expect(ifMatchValue('unquoted', 'abc')).toBe('abc')
  })
})
