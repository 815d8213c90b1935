import { describe, expect, it } from 'vitest'
import { CONDITION_UNSUPPORTED, ifMatchValue, learnIfMatch, PRECONDITION_FAILED } from '../src/learn-if-match.js'

/**
 * Fault cases on top of the real-server tests (if-match.test.ts, where radosgw takes the bare form):
 * services that ignore If-Match, take the quoted form, ignore only the bare form, reject the header,
 * or take neither. `service` plays the object store: it holds one ETag and answers each PUT the way
 * such a service would.
 */
type Kind = 'ignores' | 'quoted' | 'unquoted' | 'quoted, ignores bare' | 'rejects' | 'neither'

function service(kind: Kind, etag: string) {
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
      const quoted = ifMatch?.startsWith('"') === true
      if (ifMatch !== undefined && kind === 'rejects') return CONDITION_UNSUPPORTED
      const honoured =
        ifMatch === undefined ||
        kind === 'ignores' ||
        (kind === 'quoted, ignores bare' && !quoted) ||
        ((kind === 'quoted' || kind === 'quoted, ignores bare') && ifMatch === `"${current}"`) ||
        (kind === 'unquoted' && ifMatch === current)
      if (!honoured) return PRECONDITION_FAILED
      current = 'new'
      return 'written'
    },
  }
}

/** `s.check`, with another writer changing the object right after the first one. */
function changedAfterFirstCheck(s: ReturnType<typeof service>): () => Promise<void> {
  let checks = 0
  return async () => {
    await s.check()
    if (++checks === 1) s.change('e2')
  }
}

const WRONG_QUOTED = 'PUT "syncflow-probe-no-such-etag"'
const WRONG_BARE = 'PUT syncflow-probe-no-such-etag'

describe('learnIfMatch', () => {
  it('a service that ignores If-Match: the probe PUT writes (after the HEAD re-check) and the form is none', async () => {
    const s = service('ignores', 'e1')
    expect(await learnIfMatch('e1', s.check, s.put)).toEqual({ form: 'none', written: 'written' })
    expect(s.calls).toEqual(['HEAD', WRONG_QUOTED])
  })

  it('a service that takes the quoted ETag (RFC 7232, AWS)', async () => {
    const s = service('quoted', 'e1')
    expect(await learnIfMatch('e1', s.check, s.put)).toEqual({ form: 'quoted', written: 'written' })
    expect(s.calls).toEqual(['HEAD', WRONG_QUOTED, 'PUT "e1"'])
  })

  it('a service that takes only the bare ETag (radosgw 16): the bare form is taken once a wrong bare ETag was refused', async () => {
    const s = service('unquoted', 'e1')
    expect(await learnIfMatch('e1', s.check, s.put)).toEqual({ form: 'unquoted', written: 'written' })
    expect(s.calls).toEqual(['HEAD', WRONG_QUOTED, 'PUT "e1"', WRONG_BARE, 'PUT e1'])
  })

  // A quoted refusal of the right ETag means the object changed: a bare form the service ignores
  // must not then be taken for a check (review finding).
  it('an object changed after the re-check, on a service that ignores the bare form: the bare probe writes, form none', async () => {
    const s = service('quoted, ignores bare', 'e1')
    const changingCheck = changedAfterFirstCheck(s)
    const learnt = await learnIfMatch('e1', changingCheck, s.put)
    expect(learnt.form).toBe('none')
    expect(s.calls).toEqual(['HEAD', WRONG_QUOTED, 'PUT "e1"', WRONG_BARE])
  })

  it('a service that rejects the header (400/501): a HEAD re-check, then an unconditional PUT, form none', async () => {
    const s = service('rejects', 'e1')
    expect(await learnIfMatch('e1', s.check, s.put)).toEqual({ form: 'none', written: 'written' })
    expect(s.calls).toEqual(['HEAD', WRONG_QUOTED, WRONG_BARE, 'HEAD', 'PUT -'])
  })

  it('a service that refuses every form: a second HEAD re-check, then an unconditional PUT, form none', async () => {
    const s = service('neither', 'e1')
    expect(await learnIfMatch('e1', s.check, s.put)).toEqual({ form: 'none', written: 'written' })
    expect(s.calls).toEqual(['HEAD', WRONG_QUOTED, 'PUT "e1"', WRONG_BARE, 'PUT e1', 'HEAD', 'PUT -'])
  })

  it('an object changed before the first re-check: CONFLICT, nothing written', async () => {
    const s = service('quoted', 'e1')
    s.change('e2')
    await expect(learnIfMatch('e1', s.check, s.put)).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(s.calls).toEqual(['HEAD'])
  })

  it('an object changed between the re-check and the PUTs: every PUT is refused, the second re-check says CONFLICT', async () => {
    const s = service('quoted', 'e1')
    const changingCheck = changedAfterFirstCheck(s)
    await expect(learnIfMatch('e1', changingCheck, s.put)).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(s.calls).toEqual(['HEAD', WRONG_QUOTED, 'PUT "e1"', WRONG_BARE, 'PUT e1', 'HEAD'])
  })

  it('ifMatchValue quotes only in the quoted form', () => {
    expect(ifMatchValue('quoted', 'abc')).toBe('"abc"')
    expect(ifMatchValue('unquoted', 'abc')).toBe('abc')
  })
})
