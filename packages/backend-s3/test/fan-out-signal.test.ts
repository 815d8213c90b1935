import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { fanOutSignal } from '../src/fan-out-signal.js'

describe('fanOutSignal', () => {
  it('is one child per signal, listened to once, that takes any number of listeners quietly', () => {
    const controller = new AbortController()
    const child = fanOutSignal(controller.signal)
    expect(fanOutSignal(controller.signal)).toBe(child)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    const warnings: Error[] = []
    const onWarning = (w: Error): void => {
      warnings.push(w)
    }
    process.on('warning', onWarning)
    try {
      let heard = 0
      for (let i = 0; i < 64; i++) child.addEventListener('abort', () => heard++)
      controller.abort(new Error('stop'))
      expect(child.aborted).toBe(true)
      expect(child.reason).toEqual(new Error('stop'))
      expect(heard).toBe(64)
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([])
  })

  it('is aborted at once for an aborted signal, and undefined for none', () => {
    expect(fanOutSignal(AbortSignal.abort()).aborted).toBe(true)
    expect(fanOutSignal(undefined)).toBeUndefined()
  })
})
