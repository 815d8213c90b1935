import { basename } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempOwner, tempPathFor } from '../src/temp-file.js'

// Security review 22 #3: one random tag per run and a counter made every temp name after the first
// one seen predictable: a user who could read a directory of the target could plant entries at
// the names to come and make root's writes there fail.
describe('tempPathFor', () => {
  it('gives names that differ in a random part, not only in a counter, and are still known as ours', () => {
    const names = Array.from({ length: 4 }, () => basename(tempPathFor('/t/d/file')))
    const random = names.map((n) => n.slice(-12, -4))
    expect(new Set(random).size).toBe(4)
    const counters = names.map((n) => Number.parseInt(n.slice(-4), 16))
    expect(counters.slice(1)).toEqual(counters.slice(0, -1).map((c) => (c + 1) % 0x10000))
    for (const n of names) expect(tempOwner(n)).toEqual({ pid: process.pid, here: true })
  })
})
