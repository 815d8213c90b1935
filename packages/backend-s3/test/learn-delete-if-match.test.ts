import { describe, expect, it } from 'vitest'
import { type DeleteAnswer, learnDeleteIfMatch } from '../src/learn-delete-if-match.js'
import { CONDITION_UNSUPPORTED, PRECONDITION_FAILED } from '../src/learn-if-match.js'

/**
 * Fault cases on top of the real-server tests (remove-expect.test.ts: radosgw 16 ignores If-Match
 * on DeleteObject, and a proxy playing AWS takes the quoted form): `service` holds the scratch
 * object (ETag `e1`) and answers each DELETE the way such a service would.
 */
type Kind = 'ignores' | 'quoted' | 'unquoted' | 'rejects' | 'neither'

function service(kind: Kind) {
  const calls: string[] = []
  let exists = true
  return {
    calls,
    exists: () => exists,
    del: async (ifMatch: string | undefined): Promise<DeleteAnswer> => {
      calls.push(`DELETE ${ifMatch ?? '-'}`)
      if (ifMatch !== undefined && kind === 'rejects') return CONDITION_UNSUPPORTED
      const honoured =
        ifMatch === undefined ||
        kind === 'ignores' ||
        (kind === 'quoted' && ifMatch === '"e1"') ||
        (kind === 'unquoted' && ifMatch === 'e1')
      if (!honoured) return PRECONDITION_FAILED
      exists = false
      return 'deleted'
    },
  }
}

const WRONG_QUOTED = 'DELETE "syncflow-probe-no-such-etag"'
const WRONG_BARE = 'DELETE syncflow-probe-no-such-etag'

describe('learnDeleteIfMatch', () => {
  it('a service that ignores If-Match (radosgw 16): the wrong ETag deletes the scratch object, none', async () => {
    const s = service('ignores')
    expect(await learnDeleteIfMatch('e1', s.del)).toBe('none')
    expect(s.calls).toEqual([WRONG_QUOTED])
    expect(s.exists()).toBe(false)
  })

  it('a service that takes the quoted ETag (AWS)', async () => {
    const s = service('quoted')
    expect(await learnDeleteIfMatch('e1', s.del)).toBe('quoted')
    expect(s.calls).toEqual([WRONG_QUOTED, 'DELETE "e1"'])
    expect(s.exists()).toBe(false)
  })

  it('a service that takes only the bare ETag: taken once a wrong bare ETag was refused', async () => {
    const s = service('unquoted')
    expect(await learnDeleteIfMatch('e1', s.del)).toBe('unquoted')
    expect(s.calls).toEqual([WRONG_QUOTED, 'DELETE "e1"', WRONG_BARE, 'DELETE e1'])
    expect(s.exists()).toBe(false)
  })

  it('a service that rejects the header: none, and the scratch object deleted without it', async () => {
    const s = service('rejects')
    expect(await learnDeleteIfMatch('e1', s.del)).toBe('none')
    expect(s.calls).toEqual([WRONG_QUOTED, WRONG_BARE, 'DELETE -'])
    expect(s.exists()).toBe(false)
  })

  it('a service that refuses every form: none, and the scratch object deleted without it', async () => {
    const s = service('neither')
    expect(await learnDeleteIfMatch('e1', s.del)).toBe('none')
    expect(s.calls).toEqual([WRONG_QUOTED, 'DELETE "e1"', WRONG_BARE, 'DELETE e1', 'DELETE -'])
    expect(s.exists()).toBe(false)
  })
})
