import type { EntryKind } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import { FilterRules } from './filter-rules.js'
import { compileGlobs, type GlobRule, MAX_PATTERN_LENGTH, patternTooLong } from './glob-rule.js'
import { compileIgnoreRules, type IgnoreRules } from './ignore-rules.js'
import { IGNORE_FILE_NAME } from './load-ignore-file.js'
import type { PathFilter } from './path-filter.js'

// How syncflow filters paths. This is a user-facing contract: keep the README in step with it.
//
// The rules, in the order they are applied to a path (the first that decides wins):
//
// 1. **Below an excluded directory, everything is excluded.** A directory's contents are never
//    looked at once the directory is excluded, so nothing inside it can be brought back, not by
//    `--include` and not by a `!pattern` (as in git and rsync).
// 2. **`--exclude` excludes** what it matches. It always wins over `--include` (as in rclone,
//    which applies excludes first): to make an exception, narrow the exclude or use a
//    `!pattern` in `.syncflowignore`.
// 3. **`.syncflowignore`** excludes what it ignores, with git's semantics: patterns, `!` to
//    re-include, `#` comments, a later line overriding an earlier one.
// 4. **`--filter` rules, in their order: the first whose glob matches a path decides it** (`+ GLOB`
//    takes it, `- GLOB` excludes it; `FilterRules`). A directory a `-` rule excludes is walked
//    all the same when a `+` rule before it could match below it (and made only once something
//    inside it is copied). A path no rule matches is left to rules 5 and 6; one a `+` rule takes
//    is not subject to `--include` (rule 5), nor is a directory a `+` rule could match below. So
//    the `--include`s act as a `- **` after the rules (rclone implies that too, but tries its
//    `--include`s before the `--filter` rules, so that there `--include '*.c' --filter '- src/**'`
//    takes `src/m.c`; here the rule excludes it).
// 5. **`--include`, when given at least once, excludes every file that matches no include**, and
//    a file inside a directory that matches an include is included (so `--include src` takes the
//    whole `src` tree). Directories are kept, so that included files inside them are found, except
//    a directory below which no include can ever match, which is excluded (and its listing
//    skipped).
// 6. **A `filesFrom` list (`--files-from`), when given, excludes everything it does not name**: a
//    file takes part when it or a directory above it is listed (a listed directory takes its whole
//    tree, as `rsync -r --files-from`); a directory on the way to a listed path takes part only so
//    that the path is found (made once something in it is copied). Names are literal, not globs.
//    The other rules still apply to what it names.
//
// Glob syntax (picomatch's, with `dot: true`, so `*` matches names starting with `.`; case
// sensitive), matched by an automaton of our own (`globMatcher`), never a backtracking RegExp, so
// that no pattern, not even one from a `.syncflowignore` in the source, can stall a run:
// - a pattern without `/` matches a name at any depth: `*.log`, `node_modules`, `.DS_Store`;
// - a pattern with a `/` is anchored at the root of the sync: `docs/*.md`, `/build` (a leading `/`
//   only anchors);
// - a trailing `/` matches directories only: `cache/`;
// - `**` matches any number of directories: `**/tmp/**`, `docs/**/*.md`; `a/**` matches `a`
//   itself too, so it excludes the directory and everything in it;
// - `?`, `[abc]` (`[!abc]`, `[a-z]`, `[[:digit:]]` and the other POSIX classes in the C locale,
//   `\]` and `\-` as members), `{a,b}` (nesting; `\,` and `\}` literal); `{1..10}`, `{01..10}`
//   and `{1..9..2}` are ranges, as bash expands them. A pattern with a group stands for the
//   patterns its expansion gives, each anchored and dir-only on its own (`compileGlobs`), so
//   `--exclude '{A,B}'` is `--exclude A --exclude B`. A leading `!` is refused (see rule 2).
// - Costs are bounded, so that no pattern can stall a run: ranges hold at most 10000 values in all
//   in a pattern (`MAX_RANGE_VALUES`, compiled as a trie), and a pattern expands to at most 32
//   patterns of 8192 characters in all (`MAX_EXPANSIONS`, `MAX_EXPANDED_LENGTH`).
//
// `.syncflowignore` lives at the source root (`loadIgnoreFile`); only that one file is read, not
// one per directory. It is itself synced, like any file (as rsync syncs its filter files), so a
// restore brings the rules back; `--exclude .syncflowignore` keeps it out.
//
// Symlinks are matched as files (a trailing-`/` pattern does not match them).

/** Options of `createPathFilter`. */
export interface PathFilterOptions {
  /** `--include` globs. [none: everything is included] */
  readonly include?: readonly string[]
  /** `--exclude` globs. [none] */
  readonly exclude?: readonly string[]
  /** `--filter` rules, in order: `+ GLOB`, `- GLOB`, `!` (rule 4). [none] */
  readonly filter?: readonly string[]
  /** The text of a `.syncflowignore` file (gitignore syntax). [none] */
  readonly ignoreRules?: string
  /** `--files-from`: the only paths that take part, with what is below them (rule 6). [all] */
  readonly filesFrom?: Iterable<RelPath>
}

/**
 * Builds the filter of a sync from `--include`, `--exclude`, `--filter` and `.syncflowignore`, with the rules
 * written at the top of this file.
 * @throws SyncError `USAGE` for an invalid pattern.
 */
export function createPathFilter(opts: PathFilterOptions): PathFilter {
  return new GlobPathFilter(opts)
}

/** Cached directory verdicts are dropped past this many, keeping memory flat in the tree size. */
const DIR_CACHE_LIMIT = 10_000

class GlobPathFilter implements PathFilter {
  readonly empty: boolean
  readonly #include: readonly GlobRule[]
  readonly #exclude: readonly GlobRule[]
  readonly #ignore: IgnoreRules | undefined
  readonly #filter: FilterRules | undefined
  // Verdict of rules 2–5 for directories (rule 1 is the recursion over ancestors).
  readonly #dirSelf = new Map<string, boolean>()
  /** Rule 6: the listed paths, and the directories on the way to them. */
  readonly #listed: ReadonlySet<string> | undefined
  readonly #onTheWay: ReadonlySet<string> | undefined

  constructor(opts: PathFilterOptions) {
    this.#include = (opts.include ?? []).flatMap((p) => compileGlobs(p, '--include'))
    this.#exclude = (opts.exclude ?? []).flatMap((p) => compileGlobs(p, '--exclude'))
    const rules = opts.ignoreRules?.replace(/^\uFEFF/, '')
    const lines = rules?.split(/\r?\n/) ?? []
    const long = lines.findIndex((l) => l.length > MAX_PATTERN_LENGTH)
    if (long >= 0) throw patternTooLong(lines[long] ?? '', `${IGNORE_FILE_NAME} line ${long + 1}:`)
    const hasRules = lines.some((l) => l.trim() !== '' && !l.startsWith('#'))
    this.#ignore = hasRules && rules !== undefined ? compileIgnoreRules(rules) : undefined
    const filter = new FilterRules(opts.filter ?? [])
    this.#filter = filter.empty ? undefined : filter
    if (opts.filesFrom !== undefined) {
      const listed = new Set<string>(opts.filesFrom)
      const onTheWay = new Set<string>()
      for (const path of listed) {
        for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) onTheWay.add(path.slice(0, i))
      }
      this.#listed = listed
      this.#onTheWay = onTheWay
    }
    this.empty =
      this.#include.length === 0 &&
      this.#exclude.length === 0 &&
      this.#ignore === undefined &&
      this.#filter === undefined &&
      this.#listed === undefined
  }

  get filesFrom(): ReadonlySet<string> | undefined {
    return this.#listed
  }

  isExcluded(path: RelPath, kind: EntryKind): boolean {
    if (this.empty) return false
    if (this.#ancestorExcluded(path)) return true
    return kind === 'dir' ? this.#dirExcludedSelf(path) : this.#fileExcludedSelf(path)
  }

  walkedOnly(dir: RelPath): boolean {
    if (this.#listed !== undefined && !this.#listedOrBelow(dir)) return true
    const ruled = this.#filter?.verdict(dir, true)
    if (ruled !== undefined && ruled !== 'reachable') return ruled === 'below'
    return this.#include.length > 0 && !this.#included(dir, true)
  }

  canPrune(dir: RelPath): boolean {
    // Sound by rule 1: an excluded directory excludes everything below it.
    return this.isExcluded(dir, 'dir')
  }

  #ancestorExcluded(path: string): boolean {
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
      if (this.#dirExcludedSelf(path.slice(0, i))) return true
    }
    return false
  }

  #fileExcludedSelf(path: string): boolean {
    if (this.#listed !== undefined && !this.#listedOrBelow(path)) return true
    if (this.#exclude.some((r) => !r.dirOnly && r.matches(path))) return true
    if (this.#ignore?.ignores(path, false)) return true
    const ruled = this.#filter?.verdict(path, false)
    if (ruled !== undefined) return ruled === 'exclude'
    return this.#include.length > 0 && !this.#included(path, false)
  }

  #dirExcludedSelf(dir: string): boolean {
    let verdict = this.#dirSelf.get(dir)
    if (verdict === undefined) {
      verdict =
        (this.#listed !== undefined && !this.#listedOrBelow(dir) && !this.#onTheWay!.has(dir)) ||
        this.#exclude.some((r) => r.matches(dir)) ||
        this.#ignore?.ignores(dir, true) ||
        this.#dirExcludedByRules(dir)
      if (this.#dirSelf.size >= DIR_CACHE_LIMIT) this.#dirSelf.clear()
      this.#dirSelf.set(dir, verdict)
    }
    return verdict
  }

  /** Rules 4 and 5 for a directory: a `--filter` rule's verdict, or else the `--include`s'. */
  #dirExcludedByRules(dir: string): boolean {
    const ruled = this.#filter?.verdict(dir, true)
    // (`reachable`: a `+` rule may take something below, which `--include` must not prune away.)
    if (ruled !== undefined) return ruled === 'exclude'
    return this.#include.length > 0 && !this.#included(dir, true) && !this.#include.some((r) => r.couldMatchBelow(dir))
  }

  /** Rule 6: whether `path` or a directory above it is listed. */
  #listedOrBelow(path: string): boolean {
    const listed = this.#listed!
    if (listed.has(path)) return true
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) if (listed.has(path.slice(0, i))) return true
    return false
  }

  /** Whether an include matches `path` itself or one of its ancestor directories. */
  #included(path: string, isDir: boolean): boolean {
    if (this.#include.some((r) => (isDir || !r.dirOnly) && r.matches(path))) return true
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
      const dir = path.slice(0, i)
      if (this.#include.some((r) => r.matches(dir))) return true
    }
    return false
  }
}
