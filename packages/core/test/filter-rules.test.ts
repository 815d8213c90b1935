import { createPathFilter, type EntryKind, FilterRules, type FilterVerdict, isSyncError } from '@syncflow/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileGlobs } from '../src/filter/glob-rule.js'
import { kept, p } from './kept-paths.js'

describe('--filter rules: the first that matches decides', () => {
  it('keeps one file of a directory whose other files a later rule excludes', () => {
    const filter = ['+ a/keep.txt', '- a/**']
    expect(kept({ filter }, ['a/', 'a/keep.txt', 'a/other.txt', 'a/sub/', 'a/sub/x', 'b/', 'b/x', 'top'])).toEqual([
      'a/',
      'a/keep.txt',
      'b/',
      'b/x',
      'top',
    ])
    const f = createPathFilter({ filter })
    // `a` is walked for the file (no rule matches it first), never pruned.
    expect(f.canPrune(p('a'))).toBe(false)
    expect(f.walkedOnly?.(p('a'))).toBe(true)
  })

  it('leaves out what a directory holds when a "-" rule matches the directory, even one walked for a "+" rule', () => {
    for (const minus of ['- a/', '- a', '- /a']) {
      const filter = ['+ a/sub/keep.txt', minus]
      expect(kept({ filter }, ['a/', 'a/x', 'a/sub/', 'a/sub/keep.txt', 'a/sub/y', 'b/x']), minus).toEqual([
        'a/',
        'a/sub/',
        'a/sub/keep.txt',
        'b/x',
      ])
    }
    // A "+" rule takes only what it matches, a directory not what it holds.
    expect(kept({ filter: ['+ a/', '- *'] }, ['a/', 'a/x', 'b'])).toEqual(['a/'])
  })

  it('makes a directory no rule excludes as any other, even one a "+" rule could match below', () => {
    const f = createPathFilter({ filter: ['+ keep.log', '- *.log'] })
    expect(f.isExcluded(p('empty'), 'dir')).toBe(false)
    expect(f.walkedOnly?.(p('empty'))).toBe(false)
    expect(f.isExcluded(p('empty/keep.log'), 'file')).toBe(false)
    expect(f.isExcluded(p('empty/other.log'), 'file')).toBe(true)
  })

  // Review of the first version: a "-" rule matching a directory above excluded everything below
  // it, even inside a directory a "+" rule before it took (rsync keeps src/sub/n.c here).
  it('decides what a directory a "+" rule takes holds by the rules on its own path', () => {
    const filter = ['+ /src/', '+ /src/sub/', '- /src/*', '- /*']
    expect(kept({ filter }, ['src/', 'src/sub/', 'src/sub/n.c', 'src/sub/n.h', 'src/x.c', 'other/', 'top'])).toEqual([
      'src/',
      'src/sub/',
      'src/sub/n.c',
      'src/sub/n.h',
    ])
    expect(
      kept({ filter: ['+ build/sub/', '- build/*'] }, ['build/', 'build/sub/', 'build/sub/y.c', 'build/z']),
    ).toEqual(['build/', 'build/sub/', 'build/sub/y.c'])
  })

  it('never lets --include prune a directory a "+" rule could match below', () => {
    const f = createPathFilter({ filter: ['+ *.c'], include: ['docs/*.md'] })
    expect(f.canPrune(p('src'))).toBe(false)
    expect(f.walkedOnly?.(p('src'))).toBe(true)
    expect(f.isExcluded(p('src/sub/n.c'), 'file')).toBe(false)
    expect(f.isExcluded(p('src/sub/n.h'), 'file')).toBe(true)
    expect(f.isExcluded(p('docs/a.md'), 'file')).toBe(false)
    // Without --include, such a directory is made as any other.
    expect(createPathFilter({ filter: ['+ *.c'] }).walkedOnly?.(p('src'))).toBe(false)
  })

  it('reads a rule in order: the same two rules the other way round exclude the file too', () => {
    expect(kept({ filter: ['- a/**', '+ a/keep.txt'] }, ['a/', 'a/keep.txt', 'b/x'])).toEqual(['b/x'])
  })

  it("runs rsync's idioms as rsync does: every directory and only the *.c files, or the directories alone", () => {
    const paths = ['src/', 'src/x.c', 'src/x.h', 'src/deep/', 'src/deep/y.c', 'empty/', 'top.c', 'top.h']
    const dirsAndC = ['+ */', '+ *.c', '- *']
    expect(kept({ filter: dirsAndC }, paths)).toEqual([
      'src/',
      'src/x.c',
      'src/deep/',
      'src/deep/y.c',
      'empty/',
      'top.c',
    ])
    // `+ */` matches the directories themselves: they are made even empty, as rsync makes them.
    expect(createPathFilter({ filter: dirsAndC }).walkedOnly?.(p('empty'))).toBe(false)
    // Without `+ */`, a directory is only walked for what `+ *.c` may find in it (made once one is copied).
    const onlyC = createPathFilter({ filter: ['+ *.c', '- *'] })
    expect(onlyC.isExcluded(p('src/deep'), 'dir')).toBe(false)
    expect(onlyC.walkedOnly?.(p('src/deep'))).toBe(true)
    expect(onlyC.isExcluded(p('src/deep/y.c'), 'file')).toBe(false)
    expect(onlyC.isExcluded(p('src/x.h'), 'file')).toBe(true)
    expect(kept({ filter: ['+ */', '- *'] }, paths)).toEqual(['src/', 'src/deep/', 'empty/'])
  })

  it('prunes a directory a "-" rule matches before any "+" rule could reach below it', () => {
    const f = createPathFilter({ filter: ['- build/', '+ *.o', '- *'] })
    expect(f.canPrune(p('build'))).toBe(true)
    expect(f.isExcluded(p('build/a.o'), 'file')).toBe(true)
    expect(f.isExcluded(p('src/a.o'), 'file')).toBe(false)
    // A dir-only rule leaves a file of that name to the next rules.
    expect(f.isExcluded(p('build'), 'file')).toBe(true)
    expect(createPathFilter({ filter: ['- build/'] }).isExcluded(p('build'), 'file')).toBe(false)
  })

  it('drops the rules before a "!"', () => {
    expect(kept({ filter: ['- *.log', '!', '- *.tmp'] }, ['a.log', 'a.tmp', 'a.txt'])).toEqual(['a.log', 'a.txt'])
    expect(createPathFilter({ filter: ['- *', '!'] }).empty).toBe(true)
    expect(createPathFilter({ filter: ['- *'] }).empty).toBe(false)
  })

  it('comes after --exclude and before --include', () => {
    // --exclude still wins, whatever a rule says.
    expect(kept({ exclude: ['*.log'], filter: ['+ keep.log'] }, ['keep.log', 'x.txt'])).toEqual(['x.txt'])
    // A path a "+" rule takes is not subject to --include; one no rule matches is.
    expect(kept({ include: ['*.c'], filter: ['+ README'] }, ['README', 'x.c', 'x.h'])).toEqual(['README', 'x.c'])
    expect(kept({ include: ['*.c'], filter: ['- old.c'] }, ['old.c', 'x.c', 'x.h'])).toEqual(['x.c'])
    // .syncflowignore (rule 3) before the rules too.
    expect(kept({ ignoreRules: '*.tmp\n', filter: ['+ a.tmp'] }, ['a.tmp', 'b'])).toEqual(['b'])
  })

  it('refuses what is not "+ GLOB", "- GLOB" or "!", saying the forms it reads', () => {
    for (const rule of ['include *.c', '+*.c', '+ ', '-', '', '-/ tmp', '! x', 'exclude x']) {
      let caught: unknown
      try {
        createPathFilter({ filter: [rule] })
      } catch (err) {
        caught = err
      }
      expect(isSyncError(caught) && caught.code, rule).toBe('USAGE')
      expect(isSyncError(caught) && caught.hint, rule).toMatch(/'\+ GLOB'/)
    }
    // rsync's merge rules, said as such, with where their rules go here.
    for (const rule of ['merge .rules', ': .rsync-filter', ':- .gitignore', 'dir-merge /.rsync-filter', '. rules']) {
      let caught: unknown
      try {
        createPathFilter({ filter: [rule] })
      } catch (err) {
        caught = err
      }
      expect(isSyncError(caught) && caught.message, rule).toContain("rsync's merge rules")
      expect(isSyncError(caught) && caught.hint, rule).toMatch(/--filter-from FILE.*\.syncflowignore/)
    }
    expect(() => createPathFilter({ filter: ['- [a'] })).not.toThrow()
    expect(() => createPathFilter({ filter: ['- {a,b'] })).not.toThrow()
  })

  it('takes a glob with blanks in it as written (a name may start with a space)', () => {
    expect(kept({ filter: ['-  lead'] }, [' lead', 'lead'])).toEqual(['lead'])
  })
})

// Paths over a small alphabet, so that random globs match some of them.
const name = fc.constantFrom('a', 'b', 'a.c', 'b.c', '.x')
const path = fc.array(name, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'))
const glob = fc.oneof(
  name,
  fc.constantFrom('*', '**', '*.c', 'a/**', '**/b', 'a/*', '*/', 'a/', '/b', '.*', '?', '{a,b}'),
)
const rule = fc.tuple(fc.constantFrom('+', '-'), glob).map(([sign, g]) => `${sign} ${g}`)

describe('--filter rules: properties', () => {
  it('"- GLOB" alone excludes exactly what --exclude GLOB does', () => {
    fc.assert(
      fc.property(glob, path, fc.boolean(), (g, s, isDir) => {
        const kind: EntryKind = isDir ? 'dir' : 'file'
        const byRule = createPathFilter({ filter: [`- ${g}`] })
        const byFlag = createPathFilter({ exclude: [g] })
        expect(byRule.isExcluded(p(s), kind)).toBe(byFlag.isExcluded(p(s), kind))
        if (isDir) expect(byRule.canPrune(p(s))).toBe(byFlag.canPrune(p(s)))
      }),
    )
  })

  it('"+" rules alone exclude nothing', () => {
    fc.assert(
      fc.property(fc.array(glob, { minLength: 1, maxLength: 4 }), path, fc.boolean(), (globs, s, isDir) => {
        const filter = createPathFilter({ filter: globs.map((g) => `+ ${g}`) })
        expect(filter.isExcluded(p(s), isDir ? 'dir' : 'file')).toBe(false)
      }),
    )
  })

  it('decides a top-level file by the first rule whose glob, as an --exclude, would leave it out', () => {
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 5 }), name, (rules, file) => {
        const first = rules.find((r) => createPathFilter({ exclude: [r.slice(2)] }).isExcluded(p(file), 'file'))
        const expected = first?.startsWith('-') ?? false
        expect(createPathFilter({ filter: rules }).isExcluded(p(file), 'file')).toBe(expected)
      }),
    )
  })

  it('never keeps a path below a directory it excludes', () => {
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 5 }), path, name, (rules, dir, child) => {
        const filter = createPathFilter({ filter: rules })
        if (filter.isExcluded(p(dir), 'dir')) {
          expect(filter.isExcluded(p(`${dir}/${child}`), 'file')).toBe(true)
          expect(filter.isExcluded(p(`${dir}/${child}`), 'dir')).toBe(true)
        }
      }),
    )
  })

  it('decides as the rules read one by one, each directory above decided from the root down (the cache changes nothing)', () => {
    fc.assert(
      fc.property(
        fc.array(rule, { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(path, fc.boolean()), { minLength: 1, maxLength: 12 }),
        (rules, paths) => {
          const cached = new FilterRules(rules)
          for (const [s, isDir] of paths) expect(cached.verdict(s, isDir)).toBe(oneByOne(rules, s, isDir))
        },
      ),
    )
  })
})

/**
 * `FilterRules.verdict` as its comment reads, without its per-directory cache: each directory above
 * decided from the root down, one walked as `below` passing its `-` rule to what it holds.
 */
function oneByOne(rules: readonly string[], path: string, isDir: boolean): FilterVerdict | undefined {
  const compiled = rules.map((text) => ({
    include: text.startsWith('+'),
    globs: compileGlobs(text.slice(2), '--filter'),
  }))
  const decide = (
    p: string,
    dir: boolean,
    inherited: number,
  ): { verdict: FilterVerdict | undefined; passes: number } => {
    let reachable = false
    for (const [i, { include, globs }] of compiled.entries()) {
      if (i === inherited) return reachable ? { verdict: 'below', passes: i } : { verdict: 'exclude', passes: -1 }
      if (globs.some((g) => (dir || !g.dirOnly) && g.matches(p))) {
        if (include) return { verdict: 'include', passes: -1 }
        return reachable ? { verdict: 'below', passes: i } : { verdict: 'exclude', passes: -1 }
      }
      if (include) reachable ||= dir && globs.some((g) => g.couldMatchBelow(p))
    }
    return { verdict: reachable ? 'reachable' : undefined, passes: -1 }
  }
  let inherited = -1
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    inherited = decide(path.slice(0, i), true, inherited).passes
  }
  return decide(path, isDir, inherited).verdict
}
