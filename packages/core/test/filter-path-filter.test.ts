import { createPathFilter, excludePatternFor, isRelPath, type RelPath } from '@syncflow/core'
import fc from 'fast-check'
import picomatch from 'picomatch'
import { describe, expect, it } from 'vitest'
import { excludedName } from '../src/operators/list-side.js'
import { kept, p } from './kept-paths.js'

describe('createPathFilter: examples of each rule', () => {
  it('is empty, and keeps everything, without rules', () => {
    const f = createPathFilter({})
    expect(f.empty).toBe(true)
    expect(f.isExcluded(p('a/b'), 'file')).toBe(false)
    expect(createPathFilter({ ignoreRules: '# only a comment\n\n' }).empty).toBe(true)
    expect(createPathFilter({ exclude: ['x'] }).empty).toBe(false)
  })

  it('matches a pattern without "/" against the name at any depth, dot files included', () => {
    expect(
      kept({ exclude: ['*.log', 'node_modules'] }, [
        'a.log',
        'd/e/b.log',
        '.x.log',
        'node_modules/',
        'd/node_modules/',
        'd/node_modules/x.js',
        'a.txt',
      ]),
    ).toEqual(['a.txt'])
  })

  it('anchors a pattern with "/" at the root', () => {
    expect(
      kept({ exclude: ['docs/*.md', '/build'] }, [
        'docs/a.md',
        'x/docs/a.md',
        'docs/sub/a.md',
        'build/',
        'build/x',
        'x/build/',
      ]),
    ).toEqual(['x/docs/a.md', 'docs/sub/a.md', 'x/build/'])
  })

  it('matches directories only with a trailing "/"', () => {
    expect(kept({ exclude: ['cache/'] }, ['cache', 'cache/', 'a/cache/', 'a/cache/f'])).toEqual(['cache'])
  })

  it('spans directories with "**"', () => {
    expect(kept({ exclude: ['**/tmp/**'] }, ['tmp/', 'a/tmp/', 'a/tmp/x', 'a/b/tmp/c/d', 'a/tmpx/y'])).toEqual([
      'a/tmpx/y',
    ])
    expect(kept({ exclude: ['docs/**/*.md'] }, ['docs/a.md', 'docs/x/y/b.md', 'docs/b.txt'])).toEqual(['docs/b.txt'])
  })

  it('excludes everything below an excluded directory', () => {
    const f = createPathFilter({ exclude: ['build'] })
    expect(f.isExcluded(p('build/deep/er/file'), 'file')).toBe(true)
    expect(f.canPrune(p('build'))).toBe(true)
    expect(f.canPrune(p('src'))).toBe(false)
  })

  it('with --include, keeps only matching files, inside directories that are still walked', () => {
    const f = createPathFilter({ include: ['*.jpg'] })
    expect(f.isExcluded(p('a/b/c.jpg'), 'file')).toBe(false)
    expect(f.isExcluded(p('a/b/c.png'), 'file')).toBe(true)
    expect(f.isExcluded(p('a/b'), 'dir')).toBe(false)
    expect(f.canPrune(p('a/b'))).toBe(false)
  })

  it('with --include of a directory, keeps its whole tree', () => {
    expect(kept({ include: ['src'] }, ['src/', 'src/a/b.ts', 'lib/src/x', 'other.txt'])).toEqual([
      'src/',
      'src/a/b.ts',
      'lib/src/x',
    ])
  })

  it('prunes directories below which no anchored include can match', () => {
    const f = createPathFilter({ include: ['photos/2024/**', 'docs/*.md'] })
    expect(f.canPrune(p('music'))).toBe(true)
    expect(f.canPrune(p('photos'))).toBe(false)
    expect(f.canPrune(p('photos/2023'))).toBe(true)
    expect(f.canPrune(p('photos/2024'))).toBe(false)
    expect(f.canPrune(p('photos/2024/trip'))).toBe(false)
    expect(f.canPrune(p('docs'))).toBe(false)
    expect(f.canPrune(p('docs/sub'))).toBe(true)
    expect(f.isExcluded(p('photos/2024/trip/a.jpg'), 'file')).toBe(false)
    expect(f.isExcluded(p('docs/readme.md'), 'file')).toBe(false)
    expect(f.isExcluded(p('readme.md'), 'file')).toBe(true)
  })

  it('reads a run of three or more stars filling a segment as "**" when pruning too', () => {
    // The matcher reads `***` as `**` (git's wildmatch does); pruning read it as one segment, so it
    // pruned `a/x/y` and lost `a/x/y/b.txt`, which the include matches.
    const f = createPathFilter({ include: ['a/***/b.txt'] })
    expect(f.canPrune(p('a/x/y'))).toBe(false)
    expect(f.isExcluded(p('a/x/y/b.txt'), 'file')).toBe(false)
    expect(f.isExcluded(p('a/x/y/c.txt'), 'file')).toBe(true)
    expect(f.canPrune(p('b'))).toBe(true)
  })

  it('never prunes for a pattern it cannot split into segments', () => {
    const f = createPathFilter({ include: ['{photos,docs}/2024/**'] })
    expect(f.canPrune(p('music'))).toBe(false)
    expect(f.isExcluded(p('music/a.mp3'), 'file')).toBe(true)
    expect(f.isExcluded(p('photos/2024/a.jpg'), 'file')).toBe(false)
  })

  it('prunes for each pattern a brace group with a "/" expands to (QA 11 #4)', () => {
    const f = createPathFilter({ include: ['{photos/2024,docs}/**'] })
    expect(f.canPrune(p('music'))).toBe(true)
    expect(f.canPrune(p('photos'))).toBe(false)
    expect(f.isExcluded(p('photos/2024/a.jpg'), 'file')).toBe(false)
    expect(f.isExcluded(p('docs/a.md'), 'file')).toBe(false)
  })

  it('lets --exclude win over --include', () => {
    expect(kept({ include: ['*.jpg'], exclude: ['private/'] }, ['a.jpg', 'private/b.jpg', 'c.png'])).toEqual(['a.jpg'])
    expect(kept({ include: ['*.log'], exclude: ['*.log'] }, ['a.log'])).toEqual([])
  })

  it('follows gitignore for .syncflowignore, negations included', () => {
    const ignoreRules = [
      '# comment',
      '*.log',
      '!keep.log',
      'logs/*',
      '!logs/keep.txt',
      'build/',
      '/root-only.txt',
    ].join('\n')
    expect(
      kept({ ignoreRules }, [
        'a.log',
        'd/keep.log',
        'logs/',
        'logs/a.txt',
        'logs/keep.txt',
        'build/',
        'x/build/y',
        'root-only.txt',
        'd/root-only.txt',
      ]),
    ).toEqual(['d/keep.log', 'logs/', 'logs/keep.txt', 'd/root-only.txt'])
  })

  it('does not let a negation re-include a file inside an ignored directory (as git)', () => {
    const f = createPathFilter({ ignoreRules: 'build/\n!build/keep.txt\n' })
    expect(f.isExcluded(p('build/keep.txt'), 'file')).toBe(true)
    expect(f.canPrune(p('build'))).toBe(true)
  })

  it('reads CRLF and a BOM in .syncflowignore', () => {
    expect(kept({ ignoreRules: '\uFEFF*.tmp\r\n!keep.tmp\r\n' }, ['a.tmp', 'keep.tmp', 'b'])).toEqual(['keep.tmp', 'b'])
  })

  it('keeps .syncflowignore itself unless told otherwise', () => {
    expect(kept({ ignoreRules: '*.log\n' }, ['.syncflowignore'])).toEqual(['.syncflowignore'])
    expect(kept({ ignoreRules: '*.log\n', exclude: ['.syncflowignore'] }, ['.syncflowignore'])).toEqual([])
  })

  it('matches symlinks as files', () => {
    const f = createPathFilter({ exclude: ['link/'] })
    expect(f.isExcluded(p('link'), 'symlink')).toBe(false)
    expect(f.isExcluded(p('link'), 'dir')).toBe(true)
  })

  it('is case sensitive and keeps Unicode names byte-exact', () => {
    expect(
      kept({ exclude: ['*.LOG', 'caf\u00e9'] }, ['a.log', 'b.LOG', 'caf\u00e9', 'cafe\u0301', '\u{1F600}.LOG']),
    ).toEqual(['a.log', 'cafe\u0301'])
  })

  it('reads a backslash as gitignore does (it escapes the next character), never as a RegExp escape', () => {
    const names = ['a', 'ab', 'a\\b', 'photo1.jpg', 'photod.jpg', 'photo\\d.jpg', '\\', '\\\\', '*', 'x']
    const excluded = (pattern: string) => names.filter((n) => !kept({ exclude: [pattern] }, [n]).length)
    // QA: `\b`, `\d`, `\x2d` reached picomatch's RegExp and excluded (then, with --delete-excluded, deleted) other files.
    expect(excluded('a\\b')).toEqual(['ab'])
    expect(excluded('photo\\d.jpg')).toEqual(['photod.jpg'])
    expect(excluded('a\\\\b')).toEqual(['a\\b'])
    expect(excluded('\\\\')).toEqual(['\\'])
    expect(excluded('\\*')).toEqual(['*'])
    const swap = ['dev-disk-by-uuid-1.swap', 'dev-disk-by\\x2duuid-1.swap']
    expect(swap.filter((n) => !kept({ exclude: ['dev-disk-by\\\\x2duuid*'] }, [n]).length)).toEqual([swap[1]])
    // The same verdicts as the same line in .syncflowignore.
    for (const pattern of ['a\\b', 'photo\\d.jpg', 'a\\\\b', '\\*']) {
      expect(
        names.filter((n) => !kept({ ignoreRules: pattern }, [n]).length),
        pattern,
      ).toEqual(excluded(pattern))
    }
  })

  it('takes every character but * ? [..] {a,b} and the backslash escape literally, as .syncflowignore does', () => {
    const names = [
      'report (1).pdf',
      'report 1.pdf',
      'a|b',
      'a',
      'b',
      'x{y',
      '"x',
      'n$$n',
      'back\\slash',
      'back\\\\slash',
      'b.txt',
      'c.txt',
      'q',
      'z',
    ]
    const excluded = (pattern: string) => names.filter((n) => !kept({ exclude: [pattern] }, [n]).length)
    const ignored = (pattern: string) => names.filter((n) => !kept({ ignoreRules: pattern }, [n]).length)
    // QA: `(1)` was a RegExp group (report 1.pdf deleted, report (1).pdf kept); `\\` folded into one backslash.
    for (const [pattern, want] of [
      ['report (1).pdf', ['report (1).pdf']],
      ['a|b', ['a|b']],
      ['x{y', ['x{y']],
      ['"x', ['"x']],
      ['n$$n', ['n$$n']],
      ['back\\\\slash', ['back\\slash']],
      ['back\\\\\\\\slash', ['back\\\\slash']],
      ['[!abc]', ['q', 'z']],
    ] as const) {
      expect(excluded(pattern), pattern).toEqual(want)
      expect(ignored(pattern), pattern).toEqual(want)
    }
    // Brace groups are --exclude's own (gitignore has none).
    expect(excluded('{b,c}.txt')).toEqual(['b.txt', 'c.txt'])
  })

  it('reads an escaped "/" as the separator: it anchors, and a trailing one means a directory', () => {
    // `a\/` was the pattern `a\` (a name ending in a backslash), dir-only.
    expect(kept({ exclude: ['a\\/'] }, ['a/', 'a', 'a\\/', 'x/a/'])).toEqual(['a', 'a\\/'])
    expect(kept({ exclude: ['\\/a'] }, ['a', 'x/a'])).toEqual(['x/a'])
    expect(kept({ exclude: ['x\\/a'] }, ['x/a', 'y/x/a'])).toEqual(['y/x/a'])
  })

  it('accepts ./x and a//b spellings', () => {
    expect(kept({ exclude: ['./build', 'a//b'] }, ['build/', 'x/build/', 'a/b'])).toEqual(['x/build/'])
  })

  it('excludes a name that is no RelPath by the path a person would write for it (S3 keys of other tools)', () => {
    const excluded = (exclude: string[], name: string) => excludedName(createPathFilter({ exclude }))(name)
    for (const pattern of ['/a/b.txt', 'a/b.txt', 'b.txt', '**/b.txt'])
      expect(excluded([pattern], 'a//b.txt'), pattern).toBe(true)
    for (const pattern of ['/dot.txt', 'dot.txt', '**/dot.txt'])
      expect(excluded([pattern], './dot.txt'), pattern).toBe(true)
    expect(excluded(['/trail'], 'trail/')).toBe(true)
    expect(excluded(['/a/c.txt'], 'a//b.txt')).toBe(false)
  })

  it('excludePatternFor gives a pattern that matches exactly its path, whatever the name holds', () => {
    const name = fc.constantFrom(
      'a',
      'b',
      '*',
      '?',
      '[x]',
      '{a,b}',
      '!n',
      '#h',
      '+(p)',
      '@(q)',
      'back\\s',
      'sp ace',
      '.d',
      'é',
    )
    const path = fc.array(name, { minLength: 1, maxLength: 3 }).map((s) => s.join(''))
    fc.assert(
      fc.property(
        fc.array(path, { minLength: 1, maxLength: 3 }),
        fc.array(path, { minLength: 1, maxLength: 3 }),
        (a, b) => {
          const target = a.join('/')
          const other = b.join('/')
          fc.pre(isRelPath(target) && isRelPath(other))
          const filter = createPathFilter({ exclude: [excludePatternFor(target as RelPath)] })
          expect(filter.isExcluded(target as RelPath, 'file')).toBe(true)
          if (other !== target && !other.startsWith(`${target}/`))
            expect(filter.isExcluded(other as RelPath, 'file')).toBe(false)
        },
      ),
      { numRuns: 2000 },
    )
  })

  it.each([
    [{ exclude: [''] }, /empty pattern/],
    [{ exclude: ['/'] }, /empty pattern/],
    [{ exclude: ['{,/}'] }, /empty pattern/],
    [{ include: ['!x'] }, /negation is not supported/],
  ])('refuses %j with a USAGE error', (opts, message) => {
    expect(() => createPathFilter(opts)).toThrow(
      expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(message) }),
    )
  })
})

// Random trees and rules over a small alphabet, so that rules and paths meet often.
const NAMES = ['a', 'b', 'src', 'build', 'node_modules', 'x.log', 'keep.log', '.hidden', 'docs', 'c.md', 'caf\u00e9']
const GLOB_SEGMENTS = ['a', 'b', '*', '**', '*.log', 'build', 'src', 'docs', '*.md', '.hidden', '?', 'b*', 'caf\u00e9']

const relPath = fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 5 }).map((s) => s.join('/'))
const glob = fc
  .record({
    lead: fc.constantFrom('', '', '/'),
    segments: fc.array(fc.constantFrom(...GLOB_SEGMENTS), { minLength: 1, maxLength: 3 }),
    trail: fc.constantFrom('', '', '/'),
  })
  .map(({ lead, segments, trail }) => lead + segments.join('/') + trail)
const ignoreLine = fc.tuple(fc.constantFrom('', '', '!'), glob).map(([neg, g]) => neg + g)
const options = fc.record({
  include: fc.array(glob, { maxLength: 2 }),
  exclude: fc.array(glob, { maxLength: 2 }),
  ignoreRules: fc.option(
    fc.array(ignoreLine, { maxLength: 4 }).map((l) => l.join('\n')),
    { nil: undefined },
  ),
})

const prefixes = (path: string): string[] => path.split('/').map((_, i, s) => s.slice(0, i + 1).join('/'))

describe('createPathFilter: properties', () => {
  it('excludes every file below an excluded directory (no negation re-includes it)', () => {
    fc.assert(
      fc.property(options, relPath, (opts, path) => {
        const f = createPathFilter(opts)
        const ancestors = prefixes(path).slice(0, -1)
        if (ancestors.some((a) => f.isExcluded(p(a), 'dir'))) {
          expect(f.isExcluded(p(path), 'file')).toBe(true)
          expect(f.isExcluded(p(path), 'dir')).toBe(true)
        }
      }),
      { numRuns: 3000 },
    )
  })

  it('prunes a directory only when every path below it is excluded', () => {
    fc.assert(
      fc.property(options, relPath, relPath, (opts, dir, below) => {
        const f = createPathFilter(opts)
        if (f.canPrune(p(dir))) {
          expect(f.isExcluded(p(`${dir}/${below}`), 'file')).toBe(true)
          expect(f.isExcluded(p(`${dir}/${below}`), 'dir')).toBe(true)
        }
      }),
      { numRuns: 3000 },
    )
  })

  // Reference semantics, written independently of the implementation: a rule matches a path when
  // it matches the path or one of its ancestors (a dir-only rule: only ancestors, or the path as a dir).
  const ruleMatches = (rule: string, path: string, isDir: boolean): boolean => {
    const dirOnly = rule.endsWith('/')
    const body = rule.replace(/\/+$/, '')
    const anchored = body.includes('/')
    const m = picomatch(body.replace(/^\/+/, ''), { dot: true })
    return prefixes(path).some((q, i, all) => {
      if (dirOnly && i === all.length - 1 && !isDir) return false
      return m(anchored ? q : q.slice(q.lastIndexOf('/') + 1))
    })
  }

  it('agrees with the reference rules for --exclude and --include (pruning never loses a file)', () => {
    fc.assert(
      fc.property(
        fc.array(glob, { maxLength: 3 }),
        fc.array(glob, { maxLength: 3 }),
        relPath,
        (include, exclude, path) => {
          const f = createPathFilter({ include, exclude })
          const excluded = exclude.some((r) => ruleMatches(r, path, false))
          const included = include.length === 0 || include.some((r) => ruleMatches(r, path, false))
          expect(f.isExcluded(p(path), 'file')).toBe(excluded || !included)
        },
      ),
      { numRuns: 5000 },
    )
  })

  it('answers the same however many paths it has seen (bounded caches)', () => {
    const f = createPathFilter({ ignoreRules: '*.log\n!keep.log\nbuild/\n', include: ['src/**', '*.md'] })
    const fresh = () => createPathFilter({ ignoreRules: '*.log\n!keep.log\nbuild/\n', include: ['src/**', '*.md'] })
    for (let i = 0; i < 60_000; i++) f.isExcluded(p(`d${i % 20_000}/f${i}.log`), 'file')
    for (const s of ['src/a/keep.log', 'src/a/x.log', 'src/build/x', 'd1/readme.md', 'd1/x.txt']) {
      expect(f.isExcluded(p(s), 'file')).toBe(fresh().isExcluded(p(s), 'file'))
    }
  })
})

// QA 8 #12: a 40,000-character pattern made a RegExp over V8's limit, and the run failed as a bug.
describe('a pattern longer than any path', () => {
  const long = 'x'.repeat(40_000)
  it.each([
    [
      { exclude: [long] },
      '--exclude "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...": a pattern of 40000 characters (at most 4096)',
    ],
    [{ include: [long] }, '--include "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...": a pattern of 40000 characters'],
    [
      { ignoreRules: `*.tmp\n${long}\n` },
      '.syncflowignore line 2: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...": a pattern of 40000',
    ],
  ])('is a usage error naming it, cut short: %#', (opts, says) => {
    let err: unknown
    try {
      createPathFilter(opts).isExcluded(p('a/b'), 'file')
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: 'USAGE', message: expect.stringContaining(says) })
    expect(String((err as Error).message).length).toBeLessThan(200)
  })

  it('one of 4096 characters is taken', () => {
    expect(kept({ exclude: ['y'.repeat(4096)] }, ['a', 'y'.repeat(4096)])).toEqual(['a'])
  })
})

// Rule 5: --files-from (rclone's and rsync's): only the listed paths, a listed directory with its tree.
describe('createPathFilter: filesFrom', () => {
  const tree = ['a/', 'a/b/', 'a/b/x', 'a/b/other', 'a/y', 'c/', 'c/d/', 'c/d/z', 'top', 'topper', 'e/']
  it('keeps the listed files, every path below a listed directory, and the directories on the way', () => {
    expect(kept({ filesFrom: [p('a/b/x'), p('c'), p('top')] }, tree)).toEqual([
      'a/',
      'a/b/',
      'a/b/x',
      'c/',
      'c/d/',
      'c/d/z',
      'top',
    ])
  })

  it('only makes a directory on the way once something in it is copied, and prunes the others', () => {
    const f = createPathFilter({ filesFrom: [p('a/b/x'), p('c')] })
    expect(f.empty).toBe(false)
    expect(f.walkedOnly?.(p('a'))).toBe(true)
    expect(f.walkedOnly?.(p('a/b'))).toBe(true)
    expect(f.walkedOnly?.(p('c'))).toBe(false)
    expect(f.walkedOnly?.(p('c/d'))).toBe(false)
    expect(f.canPrune(p('e'))).toBe(true)
    expect(f.canPrune(p('a'))).toBe(false)
  })

  it('applies the other rules to what it lists: an --exclude still wins', () => {
    expect(kept({ filesFrom: [p('c')], exclude: ['z'] }, tree)).toEqual(['c/', 'c/d/'])
    expect(kept({ filesFrom: [] }, tree)).toEqual([])
  })
})
