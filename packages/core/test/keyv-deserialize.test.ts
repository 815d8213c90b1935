import { defaultDeserialize, defaultSerialize } from '@keyv/serialize'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { keyvDeserialize } from '../src/state/keyv-deserialize.js'

// syncflow's reader of keyv's stored values must read every text exactly as keyv's own does.

describe('keyvDeserialize', () => {
  it('reads what keyv wrote exactly as keyv reads it, for any JSON value (strings starting with ":" too)', () => {
    const text = fc.oneof(fc.string(), fc.constantFrom(':', '::x', ':base64:aGk=', 'a":b', '[":', ',":'))
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(text, tie('v'), { maxKeys: 4 }),
      ),
    })).v
    fc.assert(
      fc.property(value, fc.option(fc.integer({ min: 0 }), { nil: undefined }), (v, expires) => {
        const stored = defaultSerialize({ value: v, expires })
        expect(keyvDeserialize(stored)).toEqual(defaultDeserialize(stored))
      }),
      { numRuns: 2000 },
    )
  })

  it('reads a record of syncflow plainly and a Buffer keyv wrote as a Buffer', () => {
    const record = { value: { source: { size: 3, mtimeMs: 1.5, kind: 'file' }, syncedAt: 2 }, expires: null }
    expect(keyvDeserialize(JSON.stringify(record))).toEqual(record)
    const stored = defaultSerialize({ value: Buffer.from('hi') })
    expect(keyvDeserialize<{ value: Buffer }>(stored).value).toEqual(Buffer.from('hi'))
  })
})
