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

  // `restore proj proj/.old --exclude /.old`: the source inside the target, left out of its listing.
  it('a source left out of the target passes only where it lies by its path, reached by no mount of the target', () => {
    const proj = root(['j', 't', '/'], '/t/proj')
    const old = root(['o', 'j', 't', '/'], '/t/proj/.old')
    expect(identityOverlap(old, proj)).toBe('overlap: the source is inside the target')
    expect(identityOverlap(old, proj, false, '.old')).toBeUndefined()
    // proj/.old is a bind mount of proj/sub, which the target's listing does enter.
    const boundFromSub = root(['s', 'j', 't', '/'], '/t/proj/sub')
    expect(identityOverlap(boundFromSub, proj, false, '.old')).toBe('overlap: the source is inside the target')
    // proj/view, a bind mount of proj/.old (or of a directory inside it), leads the listing into it.
    for (const mounted of ['/t/proj/.old', '/t/proj/.old/deep']) {
      const reachesOld = root(['j', 't', '/'], '/t/proj', [mounted])
      expect(identityOverlap(old, reachesOld, false, '.old')).toBe('overlap: the source is inside the target')
    }
    // Still the same location when a bind mount makes it the target itself.
    expect(identityOverlap(root(['j', 'j', 't', '/'], '/t/proj'), proj, false, '.old')).toBe('are the same location')
    // Without mountinfo, its path is all there is.
    expect(identityOverlap({ chain: old.chain, reaches: [] }, { chain: proj.chain, reaches: [] }, false, '.old')).toBe(
      undefined,
    )
  })
})
