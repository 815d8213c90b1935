import { createPathFilter, toRelPath } from '@syncflow/core'
import fc from 'fast-check'
import ignore from 'ignore'
import { describe, expect, it } from 'vitest'
import { compileIgnoreRules } from '../src/filter/ignore-rules.js'

/** Whether the filter of `.syncflowignore` text `rules` excludes `path` (a directory when it ends with `/`). */
const ignored = (rules: string, path: string): boolean =>
  createPathFilter({ ignoreRules: rules }).isExcluded(
    toRelPath(path.replace(/\/$/, '')),
    path.endsWith('/') ? 'dir' : 'file',
  )

describe('compileIgnoreRules: .syncflowignore without backtracking', () => {
  it('matches a line of many "**" segments against deep paths in linear time (a hang guard)', () => {
    // The `ignore` package made each inner `**` segment a `(?:\/[^\/]+)*` of a backtracking
    // RegExp: this line took 12 s on each of these paths (more with more `**`). A hang guard, not
    // a speed check: the automaton takes about a millisecond for all of them.
    const line = `a${'/**/x'.repeat(6)}/b`
    const started = Date.now()
    for (let i = 0; i < 3; i++) {
      expect(ignored(line, `a/${'x/'.repeat(60 + i)}d`)).toBe(false)
      expect(ignored(line, `a/${'x/'.repeat(60 + i)}b`)).toBe(true)
    }
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})

describe('compileIgnoreRules: git semantics', () => {
  const verdicts = (rules: string, paths: string[]) => paths.filter((s) => ignored(rules, s))

  it('takes everything inside a directory for "a/**", not the directory itself (a "!" can re-include)', () => {
    expect(verdicts('a/**\n', ['a/', 'a/b', 'a/b/c', 'x/a/b'])).toEqual(['a/b', 'a/b/c'])
    expect(verdicts('a/**\n!a/keep\n', ['a/', 'a/keep', 'a/other'])).toEqual(['a/other'])
    expect(verdicts('/**\n', ['a', 'a/b/'])).toEqual(['a', 'a/b/'])
  })

  it('drops trailing spaces unless escaped, and reads "\\#", "\\!" and "{" as themselves', () => {
    expect(verdicts('a  \n', ['a', 'a  '])).toEqual(['a'])
    expect(verdicts('a\\ \n', ['a', 'a '])).toEqual(['a '])
    expect(verdicts('\\#x\n\\!y\n#z\n', ['#x', '!y', '#z', 'z'])).toEqual(['#x', '!y'])
    expect(verdicts('{a,b}\n', ['a', 'b', '{a,b}'])).toEqual(['{a,b}'])
  })

  it('matches nothing for a line git matches nothing with, and refuses none of them', () => {
    // A lone trailing backslash, a `[` no `]` closes, an unknown POSIX class; `./a` and `a//`
    // (git compares them with paths as written, where --exclude reads them as `a`).
    for (const line of ['a\\', '[ab', 'a[', 'f[[:digt:]]', './a', 'a//']) {
      expect(verdicts(line, ['a', 'a\\', '[ab', 'a[', 'fd', 'a/'])).toEqual([])
    }
  })

  it('lets the last matching line decide, and no "!" re-include below an ignored directory', () => {
    expect(verdicts('*.log\n!keep.log\n', ['a.log', 'keep.log', 'd/keep.log'])).toEqual(['a.log'])
    expect(verdicts('!keep.log\n*.log\n', ['keep.log'])).toEqual(['keep.log'])
    expect(verdicts('build/\n!build/keep\n', ['build/', 'build/keep', 'build'])).toEqual(['build/', 'build/keep'])
  })

  it('agrees with the `ignore` package (the matcher before) on short paths', () => {
    // Pieces of a line where the two agree: `ignore` reads a `[` that no `]` closes, or a class
    // holding a `/`, in ways of its own (and git in a third: see `compileIgnoreRules`).
    const piece = fc.constantFrom(
      'a',
      'b',
      '.',
      '*',
      '?',
      '[ab]',
      '[!a]',
      '[a-c]',
      '[]a]',
      '\\*',
      '\\a',
      '\\\\',
      '{a,b}',
      ' ',
      '\\ ',
      '#',
      '!',
      'é',
      '**',
    )
    const segment = fc.array(piece, { minLength: 1, maxLength: 3 }).map((p) => p.join(''))
    const line = fc
      .tuple(
        fc.constantFrom('', '', '!', '/'),
        fc.array(segment, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('', '', '/', ' '),
      )
      .map(([lead, segments, trail]) => lead + segments.join('/') + trail)
    const name = fc
      .array(fc.constantFrom('a', 'b', 'c', '*', ' ', '#', '!', '{', '}', 'é', '\\', ','), {
        minLength: 1,
        maxLength: 3,
      })
      .map((c) => c.join(''))
      .filter((s) => s !== '.' && s !== '..')
    const path = fc.array(name, { minLength: 1, maxLength: 3 })
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 3 }), path, fc.boolean(), (lines, segments, isDir) => {
        const text = lines.join('\n')
        const p = segments.join('/')
        const rules = compileIgnoreRules(text)
        // `ignores` answers for the path alone: an ignored ancestor is the filter's rule 1.
        const ours =
          segments.slice(0, -1).some((_, i) => rules.ignores(segments.slice(0, i + 1).join('/'), true)) ||
          rules.ignores(p, isDir)
        expect(ours).toBe(
          ignore({ ignorecase: false })
            .add(text)
            .ignores(isDir ? `${p}/` : p),
        )
      }),
      { numRuns: 5000 },
    )
  })
})
