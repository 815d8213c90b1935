import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { CLEAR_SCREEN, clearOnShrink } from '../../src/ui/clear-on-shrink.js'

/** A terminal stdout as far as resizing goes: columns, isTTY, write, and 'resize' events. */
function fakeTerminal(columns: number, isTTY = true) {
  const written: string[] = []
  const out = Object.assign(new EventEmitter(), {
    columns,
    isTTY,
    write: (s: string) => {
      written.push(s)
      return true
    },
  })
  return { out, written, stdout: out as unknown as NodeJS.WriteStream }
}

describe('clearOnShrink', () => {
  it('clears the screen when the terminal gets narrower, before the listeners already there (Ink)', () => {
    const { out, written, stdout } = fakeTerminal(100)
    // Ink's handler, registered first by render(): it must find the screen already cleared.
    out.on('resize', () => written.push('ink frame'))
    clearOnShrink(stdout)
    out.columns = 80
    out.emit('resize')
    expect(written).toEqual([CLEAR_SCREEN, 'ink frame'])
  })

  it('does not clear when the terminal gets wider or only taller, and compares with the last width', () => {
    const { out, written, stdout } = fakeTerminal(80)
    clearOnShrink(stdout)
    out.columns = 120
    out.emit('resize')
    out.emit('resize')
    expect(written).toEqual([])
    out.columns = 100 // narrower than 120, the width since the last resize
    out.emit('resize')
    expect(written).toEqual([CLEAR_SCREEN])
  })

  it('stops when told to, and does nothing at all on a non-terminal', () => {
    const tty = fakeTerminal(100)
    const stop = clearOnShrink(tty.stdout)
    stop()
    tty.out.columns = 50
    tty.out.emit('resize')
    expect(tty.written).toEqual([])
    expect(tty.out.listenerCount('resize')).toBe(0)

    const pipe = fakeTerminal(100, false)
    clearOnShrink(pipe.stdout)
    expect(pipe.out.listenerCount('resize')).toBe(0)
  })
})
