import { createPathFilter, type RelPath } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { fileSourceHint, includeForName } from '../src/job/file-source-hint.js'

// QA 10 #13: the hint said --include "report.pdf", which also takes sub/report.pdf, and left a
// name's glob characters as they were (a[1].txt also took a1.txt).
describe('includeForName', () => {
  const names = ['report.pdf', 'a[1].txt', 'x*y?.txt', 'b{1,2}.txt', 'back\\slash.txt', `it's $HOME "q" !.txt`]

  it.each(names)('%j: the filter takes the file at the top, and nothing else', (name) => {
    const filter = createPathFilter({ include: [includeForName(name)] })
    expect(filter.isExcluded(name as RelPath, 'file')).toBe(false)
    expect(filter.isExcluded(`sub/${name}` as RelPath, 'file')).toBe(true)
    expect(filter.isExcluded(`sub/deep/${name}` as RelPath, 'file')).toBe(true)
  })

  it('escapes glob characters, so that other names the glob would match are left out', () => {
    expect(includeForName('report.pdf')).toBe('/report.pdf')
    expect(includeForName('a[1].txt')).toBe('/a\\[1\\].txt')
    const filter = (name: string) => createPathFilter({ include: [includeForName(name)] })
    expect(filter('a[1].txt').isExcluded('a1.txt' as RelPath, 'file')).toBe(true)
    expect(filter('x*y?.txt').isExcluded('xAyB.txt' as RelPath, 'file')).toBe(true)
    expect(filter('b{1,2}.txt').isExcluded('b1.txt' as RelPath, 'file')).toBe(true)
    expect(filter('back\\slash.txt').isExcluded('backslash.txt' as RelPath, 'file')).toBe(true)
  })
})

describe('fileSourceHint', () => {
  it('suggests copy of the directory, the name anchored and quoted for a shell', () => {
    expect(fileSourceHint('ia/report.pdf', 'iad', 'report.pdf')).toContain(
      'syncflow copy ia iad --include "/report.pdf"',
    )
    expect(fileSourceHint('ib/a[1].txt', 'ibd', 'a[1].txt')).toContain(`syncflow copy ib ibd --include '/a\\[1\\].txt'`)
    expect(fileSourceHint('report.pdf', 'my dst', 'report.pdf')).toContain(
      `syncflow copy . 'my dst' --include "/report.pdf"`,
    )
    expect(fileSourceHint('s3://bucket/a.txt', 'd', 'a.txt')).toContain(
      'syncflow copy s3://bucket d --include "/a.txt"',
    )
    expect(fileSourceHint('grpc://h:1/d1/a.txt/', 'd', 'a.txt')).toContain('syncflow copy grpc://h:1/d1 d')
    expect(fileSourceHint('file:///a.txt', 'd', 'a.txt')).toContain('syncflow copy file:/// d')
    expect(fileSourceHint('/a.txt', 'd', 'a.txt')).toContain('syncflow copy / d')
  })
})

// QA 30e: `check FILE DST` was told how to copy the file: a write, for a command that only compares.
describe('fileSourceHint for check', () => {
  it('suggests the check of the directory with the same anchored --include, and no copy', () => {
    const hint = fileSourceHint('ia/report.pdf', 'iad', 'report.pdf', true)
    expect(hint).toContain('syncflow check ia iad --include "/report.pdf"')
    expect(hint).not.toContain('copy')
  })
})

// Review of move: `move FILE DST` was told to `syncflow copy` the file, a run that leaves it in place.
describe('fileSourceHint for move', () => {
  it('suggests the move of the directory with the --include, not a copy', () => {
    const hint = fileSourceHint('ia/report.pdf', 'iad', 'report.pdf', false, true)
    expect(hint).toContain('syncflow move ia iad --include "/report.pdf"')
    expect(hint).not.toContain('syncflow copy')
  })
})
