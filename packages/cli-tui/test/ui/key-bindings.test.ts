import { describe, expect, it } from 'vitest'
import { keyCommand } from '../../src/ui/key-bindings.js'

describe('keyCommand', () => {
  it('maps the keys of the help screen', () => {
    expect(keyCommand('p', {}, 'dashboard')).toEqual({ type: 'toggle-pause' })
    expect(keyCommand('q', {}, 'dashboard')).toEqual({ type: 'quit' })
    expect(keyCommand('c', { ctrl: true }, 'help')).toEqual({ type: 'quit' })
    expect(keyCommand('e', {}, 'dashboard')).toEqual({ type: 'show', screen: 'errors' })
    expect(keyCommand('e', {}, 'errors')).toEqual({ type: 'show', screen: 'dashboard' })
    expect(keyCommand('?', {}, 'dashboard')).toEqual({ type: 'show', screen: 'help' })
    expect(keyCommand('?', {}, 'help')).toEqual({ type: 'show', screen: 'dashboard' })
    expect(keyCommand('', { escape: true }, 'errors')).toEqual({ type: 'show', screen: 'dashboard' })
    expect(keyCommand('x', {}, 'dashboard')).toEqual({ type: 'none' })
  })
})
