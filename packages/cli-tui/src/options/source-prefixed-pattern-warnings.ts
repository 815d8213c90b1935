import { lstat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'

/**
 * Warnings for `--exclude`/`--include` patterns (and `--filter` rules' globs) that start with the local source's own path or
 * name (`sync src dst --exclude src/cache`, `--exclude /home/me/src/cache`), where the source holds
 * no such name: patterns are relative to the source root, as in rsync and rclone, so such a pattern
 * matches nothing, silently. An `--include` of it made a run that copies nothing and says only
 * "nothing to do", exit 0 (QA 32a). Only for a local source (a bare path); a source that does hold
 * a directory of its own name (`src/src/…`) gets none.
 */
export async function sourcePrefixedPatternWarnings(
  source: string | undefined,
  patterns: {
    readonly exclude?: readonly string[]
    readonly include?: readonly string[]
    readonly filter?: readonly string[]
  },
): Promise<string[]> {
  if (source === undefined || /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(source) || source.trim() === '') return []
  const root = resolve(source)
  const name = basename(root)
  const warnings: string[] = []
  // A `--filter` rule's glob, after its sign (`!` has none).
  const given = [
    ...(['exclude', 'include'] as const).flatMap((flag) =>
      (patterns[flag] ?? []).map((pattern) => ({ flag: `--${flag} `, pattern })),
    ),
    ...(patterns.filter ?? [])
      .filter((r) => r.length > 2)
      .map((r) => ({ flag: `--filter '${r.slice(0, 2)}`, pattern: r.slice(2) })),
  ]
  for (const { flag, pattern } of given) {
    const rest = restAfterSource(pattern, root, name)
    if (rest === undefined) continue
    // The pattern's first part, as the source root holds it or not (`src` of `src/cache`).
    const first = pattern.startsWith(`${root}/`) ? root.split('/')[1] : name
    if (first === undefined || (await lstat(join(root, first)).catch(() => undefined)) !== undefined) continue
    const close = flag.startsWith('--filter') ? "'" : ''
    warnings.push(
      `${flag}${pattern}${close} matches nothing: a pattern is relative to the source root, and ${source} holds no ${JSON.stringify(first)}: write ${flag}/${rest}${close}`,
    )
  }
  return warnings
}

/** What follows the source's absolute path or name at the start of `pattern`, if it starts so and names something below it. */
function restAfterSource(pattern: string, root: string, name: string): string | undefined {
  if (root !== '/' && pattern.startsWith(`${root}/`)) return pattern.slice(root.length + 1) || undefined
  const relative = pattern.replace(/^\.?\//, '')
  if (name !== '' && relative.startsWith(`${name}/`)) return relative.slice(name.length + 1) || undefined
  return undefined
}
