import { describe, expect, it } from 'vitest'
import { keyCommand, keyPresses } from '../../src/ui/key-bindings.js'

describe('keyCommand', () => {
  it('maps the keys of the help screen', () => {
    expect(keyCommand('p', {}, 'dashboard')).toEqual({ type: 'toggle-pause' })
    expect(keyCommand('q', {}, 'dashboard')).toEqual({ type: 'quit' })
    expect(keyCommand('c', { ctrl: true }, 'help')).toEqual({ type: 'quit' })
    expect(keyCommand('z', { ctrl: true }, 'dashboard')).toEqual({ type: 'suspend' })
    expect(keyCommand('z', {}, 'dashboard')).toEqual({ type: 'none' })
    expect(keyCommand('e', {}, 'dashboard')).toEqual({ type: 'show', screen: 'errors' })
    expect(keyCommand('e', {}, 'errors')).toEqual({ type: 'show', screen: 'dashboard' })
    expect(keyCommand('?', {}, 'dashboard')).toEqual({ type: 'show', screen: 'help' })
    expect(keyCommand('?', {}, 'help')).toEqual({ type: 'show', screen: 'dashboard' })
    expect(keyCommand('', { escape: true }, 'errors')).toEqual({ type: 'show', screen: 'dashboard' })
    expect(keyCommand('x', {}, 'dashboard')).toEqual({ type: 'none' })
  })

  it('scrolls the errors screen with the arrows, j k, PgUp PgDn, b Space, Home End, g G', () => {
    const line = (dir: -1 | 1) => ({ type: 'scroll', unit: 'line', dir })
    const page = (dir: -1 | 1) => ({ type: 'scroll', unit: 'page', dir })
    const all = (dir: -1 | 1) => ({ type: 'scroll', unit: 'all', dir })
    expect(keyCommand('', { upArrow: true }, 'errors')).toEqual(line(-1))
    expect(keyCommand('k', {}, 'errors')).toEqual(line(-1))
    expect(keyCommand('', { downArrow: true }, 'errors')).toEqual(line(1))
    expect(keyCommand('j', {}, 'errors')).toEqual(line(1))
    expect(keyCommand('', { pageUp: true }, 'errors')).toEqual(page(-1))
    expect(keyCommand('b', {}, 'errors')).toEqual(page(-1))
    expect(keyCommand('', { pageDown: true }, 'errors')).toEqual(page(1))
    expect(keyCommand(' ', {}, 'errors')).toEqual(page(1))
    expect(keyCommand('', { home: true }, 'errors')).toEqual(all(-1))
    expect(keyCommand('g', {}, 'errors')).toEqual(all(-1))
    expect(keyCommand('', { end: true }, 'errors')).toEqual(all(1))
    expect(keyCommand('G', {}, 'errors')).toEqual(all(1))
    // The other keys still work there; elsewhere the scroll keys do nothing.
    expect(keyCommand('p', {}, 'errors')).toEqual({ type: 'toggle-pause' })
    expect(keyCommand('j', {}, 'dashboard')).toEqual({ type: 'none' })
    expect(keyCommand('', { downArrow: true }, 'help')).toEqual({ type: 'none' })
  })

  it('splits a chunk of keys typed at once into key presses, a control character into Ctrl and its letter', () => {
    expect(keyPresses('qq', {})).toEqual([
      ['q', {}],
      ['q', {}],
    ])
    expect(keyPresses('e\u0003', {})).toEqual([
      ['e', {}],
      ['c', { ctrl: true }],
    ])
    expect(keyPresses('q', {})).toEqual([['q', {}]])
    expect(keyPresses('c', { ctrl: true })).toEqual([['c', { ctrl: true }]])
    expect(keyPresses('', { upArrow: true })).toEqual([['', { upArrow: true }]])
  })
})
