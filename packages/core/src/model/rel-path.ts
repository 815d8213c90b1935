import { SyncError } from '../errors/sync-error.js'

/**
 * A validated path relative to a backend's root: `/`-separated, never empty, no `.` or `..`
 * segment, no empty segment (so no leading, trailing or doubled `/`), no NUL or other C0 control
 * character or DEL, no lone UTF-16 surrogate. Names are kept byte-exact (no Unicode normalization).
 *
 * A backslash is an ordinary character, as on POSIX systems and in S3 keys: names such as systemd's
 * `dev-disk-by\x2duuid-….swap` must be backed up like any other (rsync and rclone copy them). A
 * backend where it separates segments (a local directory on Windows) rejects it on its own.
 */
export type RelPath = string & { readonly __relPath: unique symbol }

/** Why `checkRelPath` rejected a path, or `undefined` when the path is valid. */
export function relPathProblem(path: string): string | undefined {
  if (typeof path !== 'string') return 'not a string'
  // Every listed entry passes through here, so the common case (no control character or surrogate;
  // no empty, "." or ".." segment) is one pass over the characters with no allocation;
  // anything else takes the checks below, which also say what is wrong.
  return plainRelPath(path) ? undefined : describeProblem(path)
}

/** True when `path` is valid and has no character that needs a closer look (see `describeProblem`). */
function plainRelPath(path: string): boolean {
  const n = path.length
  let start = 0
  for (let i = 0; i <= n; i++) {
    const c = i === n ? 0x2f : path.charCodeAt(i)
    if (c === 0x2f) {
      const len = i - start
      // Empty segment (also a leading, trailing or doubled "/", or an empty path), "." or "..".
      if (
        len === 0 ||
        (path.charCodeAt(start) === 0x2e && (len === 1 || (len === 2 && path.charCodeAt(i - 1) === 0x2e)))
      ) {
        return false
      }
      start = i + 1
    } else if (c < 0x20 || c === 0x7f || (c >= 0xd800 && c <= 0xdfff)) {
      return false
    }
  }
  return true
}

function describeProblem(path: string): string | undefined {
  if (path.length === 0) return 'empty path'
  if (path.startsWith('/')) return 'absolute path (leading "/")'
  if (path.endsWith('/')) return 'trailing "/"'
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we reject
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'control character in name'
  for (const seg of path.split('/')) {
    if (seg === '') return 'empty segment ("//")'
    if (seg === '.' || seg === '..') return `"${seg}" segment`
  }
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(path)) {
    return 'lone UTF-16 surrogate (not valid Unicode)'
  }
  return undefined
}

/**
 * True when `path` is no RelPath for a character in it (a control character, a lone surrogate)
 * and not for its shape (`a//b`, `./x`, `x/`, `..`). No RelPath names such a file, on either side
 * of a run, so a listing that left it out hides nothing that a run could delete by mistake: unlike
 * a shape problem (`./x` may be what another tool meant by `x`) or a directory that could not be
 * read, such a name need not hold back the run's deletes.
 */
export function hasUnsafeCharacter(path: string): boolean {
  if (typeof path !== 'string' || relPathProblem(path) === undefined) return false
  // The shape alone, with every character made safe: a RelPath only if the characters were the problem.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we look for
  const shape = path.replace(/[\u0000-\u001f\u007f]|[\ud800-\udfff]/g, '_')
  return relPathProblem(shape) === undefined
}

/**
 * The RelPath a person means by a name that is none for its shape (`a//b` → `a/b`, `./x` → `x`,
 * `d/` → `d`): empty and `.` segments dropped. Undefined when what is left is still no RelPath
 * (a `..` segment, a control character). Filters match an unsafe name by it, so that the path a
 * person would write excludes it (S3 keys written by other tools: QA).
 */
export function nearestRelPath(name: string): RelPath | undefined {
  const path = name
    .split('/')
    .filter((seg) => seg !== '' && seg !== '.')
    .join('/')
  return isRelPath(path) ? path : undefined
}

/**
 * An `--exclude` pattern that matches exactly `path` (from the root): glob characters escaped,
 * anchored by a leading `/`. For hints that tell how to exclude a name.
 */
export function excludePatternFor(path: RelPath): string {
  return `/${path.replace(/[\\*?[\]{}()!#+@]/g, '\\$&')}`
}

/** True when `path` is a valid RelPath. */
export function isRelPath(path: string): path is RelPath {
  return relPathProblem(path) === undefined
}

/**
 * Validates `path` and returns it as a RelPath.
 * @throws SyncError `INVALID_PATH` naming the path and the reason.
 */
export function toRelPath(path: string, context = 'path'): RelPath {
  const problem = relPathProblem(path)
  if (problem !== undefined) {
    throw new SyncError('INVALID_PATH', `${context} ${JSON.stringify(path)}: ${problem}`, {
      path,
      hint: 'Rename the file, or exclude it with --exclude.',
    })
  }
  return path as RelPath
}

/** Joins validated segments. */
export function joinRelPath(parent: RelPath | undefined, name: string): RelPath {
  return toRelPath(parent === undefined ? name : `${parent}/${name}`)
}

/** The parent directory of `path`, or `undefined` for a top-level name. */
export function parentRelPath(path: RelPath): RelPath | undefined {
  const i = path.lastIndexOf('/')
  return i < 0 ? undefined : (path.slice(0, i) as RelPath)
}

/** The last segment of `path`. */
export function baseName(path: RelPath): string {
  return path.slice(path.lastIndexOf('/') + 1)
}
