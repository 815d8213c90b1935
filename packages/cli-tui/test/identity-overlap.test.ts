import { describe, expect, it } from 'vitest'
import { identityOverlap, type LocalIdentity } from '../src/job/assert-no-overlap.js'

// QA 22 #2: local roots compared by identity, where a bind mount hides the overlap from names.
const dev = '254:0'
function root(ids: string[], path: string | undefined, reaches: string[] = [], exists = true): LocalIdentity {
  return {
    chain: { exists, ids },
    ...(path !== undefined ? { place: { device: dev, path } } : {}),
    reaches: [...(path !== undefined ? [path] : []), ...reaches].map((p) => ({ device: dev, path: p })),
  }
}

describe('identityOverlap', () => {
  // /t (id t) holds data (id d) and the mount point view (id v): view shows data/photos (id p).
  const data = root(['d', 't', '/'], '/t/data')
  const view = root(['p', 't', '/'], '/t/data/photos')
  const other = root(['o', 't', '/'], '/t/other')

  it('a root bind-mounted from a directory inside the other: no chain of inodes leads there, its place does', () => {
    expect(identityOverlap(view, data)).toBe('overlap: the source is inside the target')
    expect(identityOverlap(data, view)).toBe('overlap: the target is inside the source')
    // Without mountinfo, the inodes alone do not see it.
    const noPlace = (r: LocalIdentity): LocalIdentity => ({ chain: r.chain, reaches: [] })
    expect(identityOverlap(noPlace(view), noPlace(data))).toBeUndefined()
  })

  it('the same directory by inode or by place; inside the other by its chain of inodes', () => {
    expect(identityOverlap(root(['d', 'x', '/'], undefined), root(['d', 't', '/'], undefined))).toBe(
      'are the same location',
    )
    expect(identityOverlap(data, root(['w', '/'], '/t/data'))).toBe('are the same location')
    // `whole` bound from data: data/inner's chain goes through data's inode.
    const whole = root(['d', '/'], undefined)
    const inner = root(['i', 'd', 't', '/'], undefined)
    expect(identityOverlap(whole, inner)).toBe('overlap: the target is inside the source')
    expect(identityOverlap(inner, whole)).toBe('overlap: the source is inside the target')
  })

  it('a target that does not exist yet is where its nearest existing ancestor is', () => {
    const missing = root(['p', 't', '/'], '/t/data/photos/new', [], false)
    expect(identityOverlap(data, missing)).toBe('overlap: the target is inside the source')
    // Not existing, it holds nothing: the ancestor in its chain is not it.
    expect(identityOverlap(view, root(['d', 't', '/'], '/t/data/new', [], false))).toBeUndefined()
  })

  it('a mount below a root is reached from it; a sibling is not', () => {
    const t = root(['t', '/'], '/t', ['/elsewhere'])
    expect(identityOverlap(t, root(['e', '/'], '/elsewhere/x'))).toBe('overlap: the target is inside the source')
    expect(identityOverlap(view, other)).toBeUndefined()
    expect(identityOverlap(other, data)).toBeUndefined()
  })
})
