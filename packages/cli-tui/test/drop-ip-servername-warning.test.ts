import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { dropIpServernameWarning } from '../src/output/drop-ip-servername-warning.js'

let restore: (() => void) | undefined
afterEach(() => restore?.())

/** The next 'warning' event of this process, or undefined if none came while `emit` ran. */
async function warningFrom(emit: () => void): Promise<Error | undefined> {
  const next = once(process, 'warning').then(([w]) => w as Error)
  emit()
  // Warnings are delivered on the next tick: one setImmediate later it has come or never will.
  const none = new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)))
  return Promise.race([next, none])
}

describe('dropIpServernameWarning', () => {
  it('drops DEP0123 in each way it can be emitted, and keeps every other warning', async () => {
    restore = dropIpServernameWarning()
    expect(await warningFrom(() => process.emitWarning('ip servername', 'DeprecationWarning', 'DEP0123'))).toBe(
      undefined,
    )
    expect(
      await warningFrom(() => process.emitWarning('ip servername', { type: 'DeprecationWarning', code: 'DEP0123' })),
    ).toBe(undefined)
    const other = await warningFrom(() => process.emitWarning('something else', 'DeprecationWarning', 'DEP0999'))
    expect(other?.message).toBe('something else')
    expect((other as { code?: string } | undefined)?.code).toBe('DEP0999')
  })

  it('restores process.emitWarning, after which DEP0123 comes through again', async () => {
    const original = process.emitWarning
    dropIpServernameWarning()()
    expect(process.emitWarning).toBe(original)
    const w = await warningFrom(() => process.emitWarning('ip servername', 'DeprecationWarning', 'DEP0123'))
    expect((w as { code?: string } | undefined)?.code).toBe('DEP0123')
  })
})
