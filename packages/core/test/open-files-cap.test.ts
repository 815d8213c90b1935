import { describe, expect, it } from 'vitest'
import { openFilesCap, openFilesLimit } from '../src/util/open-files-cap.js'

describe('openFilesCap', () => {
  it('leaves room for the handles a run holds anyway, two per action, at least one action', () => {
    expect(openFilesCap(1024)).toBe(492)
    expect(openFilesCap(128)).toBe(44)
    expect(openFilesCap(40)).toBe(1)
    expect(openFilesCap(undefined)).toBe(Number.POSITIVE_INFINITY)
  })

  it.runIf(process.platform === 'linux')('reads the limit of this process', () => {
    const limit = openFilesLimit()
    expect(limit).toBeGreaterThan(0)
    expect(Number.isInteger(limit)).toBe(true)
  })
})
