import { describe, expect, it } from 'vitest'
import { VerifiedDirs } from '../src/verified-dirs.js'

describe('VerifiedDirs', () => {
  it('remembers identities, forgetting the least recently used beyond its capacity', () => {
    const dirs = new VerifiedDirs(2)
    dirs.set('a', '1:1')
    dirs.set('b', '1:2')
    expect(dirs.get('a')).toBe('1:1') // a is now the most recently used
    dirs.set('c', '1:3')
    expect(dirs.get('b')).toBeUndefined()
    expect(dirs.get('a')).toBe('1:1')
    expect(dirs.get('c')).toBe('1:3')
    expect(dirs.size).toBe(2)
  })

  it('forgets a directory with everything below it, and nothing beside it', () => {
    const dirs = new VerifiedDirs()
    for (const rel of ['a', 'a/b', 'a/b/c', 'ab', 'x/a']) dirs.set(rel, rel)
    dirs.forget('a')
    expect(['a', 'a/b', 'a/b/c', 'ab', 'x/a'].map((rel) => dirs.get(rel))).toEqual([
      undefined,
      undefined,
      undefined,
      'ab',
      'x/a',
    ])
  })
})
