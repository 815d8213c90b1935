import { describe, expect, it } from 'vitest'
import { parseMountInfo, placeOf, placesReachedFrom } from '../src/index.js'

// QA 22 #2: a root reached through a bind mount of a directory inside the other root.
const MOUNTINFO = [
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '28 27 0:25 / /tmp rw,nosuid shared:5 - tmpfs tmpfs rw',
  '45 27 254:0 /t/data/photos /t/view rw,relatime - ext4 /dev/vda rw',
  '46 27 254:0 /with\\040space /t/my\\040view rw,relatime - ext4 /dev/vda rw',
  '47 28 0:25 /old /tmp/x rw - tmpfs tmpfs rw',
  '48 28 0:25 /new /tmp/x rw - tmpfs tmpfs rw',
  '',
].join('\n')
const mounts = parseMountInfo(MOUNTINFO)

describe('parseMountInfo', () => {
  it('reads device, root and mount point of each line, undoing the octal escapes', () => {
    expect(mounts).toHaveLength(6)
    expect(mounts[1]).toEqual({ device: '0:25', root: '/', mountPoint: '/tmp' })
    expect(mounts[3]).toEqual({ device: '254:0', root: '/with space', mountPoint: '/t/my view' })
  })
})

describe('placeOf', () => {
  it('a path through a bind mount is where the mount shows it from', () => {
    expect(placeOf('/t/view/2024', mounts)).toEqual({ device: '254:0', path: '/t/data/photos/2024' })
    expect(placeOf('/t/view', mounts)).toEqual(placeOf('/t/data/photos', mounts))
    expect(placeOf('/t/my view/a', mounts)).toEqual({ device: '254:0', path: '/with space/a' })
  })

  it('the longest mount point holds a path; of two on one mount point, the later one', () => {
    expect(placeOf('/tmp/a', mounts)).toEqual({ device: '0:25', path: '/a' })
    expect(placeOf('/tmp/x/y', mounts)).toEqual({ device: '0:25', path: '/new/y' })
    expect(placeOf('/tmpfoo', mounts)).toEqual({ device: '254:0', path: '/tmpfoo' })
    expect(placeOf('/t/data', [])).toBeUndefined()
  })
})

describe('placesReachedFrom', () => {
  it('its own place, then the root of each mount below it', () => {
    expect(placesReachedFrom('/t', mounts)).toEqual([
      { device: '254:0', path: '/t' },
      { device: '254:0', path: '/t/data/photos' },
      { device: '254:0', path: '/with space' },
    ])
    expect(placesReachedFrom('/t/data', mounts)).toEqual([{ device: '254:0', path: '/t/data' }])
  })
})
