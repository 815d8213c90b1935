import { readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { describe, expect, it } from 'vitest'
import type { Action } from '../src/model/action.js'
import type { RelPath } from '../src/model/rel-path.js'
import { SpilledActions } from '../src/util/spilled-actions.js'

const copyOf = (path: string): Action => ({
  kind: 'copy',
  path: path as RelPath,
  source: { path: path as RelPath, kind: 'file', size: 3, mtimeMs: 1_700_000_000_123.5, mode: 0o644 },
  reason: 'new file',
})
const leftovers = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('syncflow-set-aside-'))

describe('SpilledActions', () => {
  it('gives back what was set aside in order, across chunks and names cut between them, and leaves no file', () => {
    const before = leftovers()
    const aside = new SpilledActions()
    // (~12,000 lines of ~300 bytes: several 1 MiB chunks, multi-byte names cut at their ends.)
    const paths = Array.from({ length: 12_000 }, (_, i) => `d/${'ü'.repeat(50)}/${'😀'.repeat(i % 7)}${i}`)
    for (const p of paths.slice(0, 5000)) aside.push(copyOf(p))
    const back: Action[] = []
    for (let i = 0; i < 2000; i++) back.push(aside.shift() as Action)
    // Set aside while some are read back: still after the others.
    for (const p of paths.slice(5000)) aside.push(copyOf(p))
    expect(aside.size).toBe(10_000)
    for (let a = aside.shift(); a !== undefined; a = aside.shift()) back.push(a)
    expect(back.map((a) => a.path)).toEqual(paths)
    expect(back[7]).toEqual(copyOf(paths[7] as string))
    expect(aside.size).toBe(0)
    // Emptied, it is used again from the start of its file.
    aside.push(copyOf('again'))
    expect(aside.shift()?.path).toBe('again')
    expect(aside.shift()).toBeUndefined()
    // (Unlinked once open: nothing in the temporary directory, not even while in use.)
    expect(leftovers()).toEqual(before)
    aside.close()
    expect(leftovers()).toEqual(before)
  })

  it('gives back less than a chunk from memory, without the temporary directory (review 35)', () => {
    const tmp = process.env.TMPDIR
    process.env.TMPDIR = '/nonexistent/syncflow-review-35'
    try {
      const aside = new SpilledActions()
      for (let i = 0; i < 100; i++) aside.push(copyOf(`f${i}`))
      expect(aside.shift()).toEqual(copyOf('f0'))
      aside.push(copyOf('f100'))
      const back: string[] = []
      for (let a = aside.shift(); a !== undefined; a = aside.shift()) back.push(a.path)
      expect(back).toEqual(Array.from({ length: 100 }, (_, i) => `f${i + 1}`))
      aside.close()
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = tmp
    }
  })

  it('refuses to hold more than maxBytes, and keeps what it held', () => {
    const aside = new SpilledActions(1000)
    let pushed = 0
    expect(() => {
      // (~150 bytes each: the 1,000 are passed long before 100.)
      for (let i = 0; i < 100; i++) {
        aside.push(copyOf(`f${pushed}`))
        pushed++
      }
    }).toThrow(/more than 1000 bytes of actions set aside/)
    expect(pushed).toBeGreaterThan(0)
    expect(aside.size).toBe(pushed)
    expect(aside.shift()?.path).toBe('f0')
    aside.close()
  })

  it('close drops what is left', () => {
    const aside = new SpilledActions()
    aside.push(copyOf('x'))
    aside.close()
    expect(aside.size).toBe(0)
    expect(aside.shift()).toBeUndefined()
  })
})
