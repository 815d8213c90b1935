import type { FileHandle } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { EarlyFlush } from '../src/early-flush.js'

/** A FileHandle whose datasync calls wait until the test settles them. */
function fakeHandle() {
  const calls: Array<{ resolve: () => void; reject: (err: unknown) => void }> = []
  const fh = {
    datasync: () =>
      new Promise<void>((resolve, reject) => {
        calls.push({ resolve, reject })
      }),
  } as unknown as FileHandle
  return { fh, calls }
}

describe('EarlyFlush', () => {
  it('starts a datasync once `every` bytes are written, never two at once, and settles after the last', async () => {
    const { fh, calls } = fakeHandle()
    const early = new EarlyFlush(fh, 100)
    early.wrote(60)
    expect(calls.length).toBe(0)
    early.wrote(40)
    expect(calls.length).toBe(1)
    // One is running: more bytes do not start a second one…
    early.wrote(500)
    expect(calls.length).toBe(1)
    calls[0]?.resolve()
    await Promise.resolve()
    // …but once it is done, the next threshold does.
    early.wrote(100)
    expect(calls.length).toBe(2)
    let settled = false
    const settling = early.settle().then(() => {
      settled = true
    })
    await Promise.resolve()
    expect(settled).toBe(false)
    calls[1]?.resolve()
    await settling
    expect(settled).toBe(true)
  })

  it('rethrows a failed flush from settle (the final fsync might not see that error again)', async () => {
    const { fh, calls } = fakeHandle()
    const early = new EarlyFlush(fh, 10)
    early.wrote(10)
    calls[0]?.reject(Object.assign(new Error('EIO'), { code: 'EIO' }))
    await expect(early.settle()).rejects.toMatchObject({ code: 'EIO' })
    // Later flushes go on (the writer fails anyway) and the error stays.
    early.wrote(10)
    calls[1]?.resolve()
    await expect(early.settle()).rejects.toMatchObject({ code: 'EIO' })
  })

  it('settles at once when no flush ever started', async () => {
    const { fh, calls } = fakeHandle()
    const early = new EarlyFlush(fh, 1000)
    early.wrote(999)
    await early.settle()
    expect(calls.length).toBe(0)
  })
})
