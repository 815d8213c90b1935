import { readFlagLines } from './read-flag-lines.js'

/**
 * The paths of a `--files-from` FILE (`-` is standard input), as rclone reads them: one path a line,
 * relative to the source root (see `readFlagLines` for comments, blank lines and line ends), a
 * leading `/` or `./` and a trailing `/` dropped (rsync's lists are often made by `find`), a doubled
 * `/` read as one. Other spaces are kept: they may be part of a name. A line with a `.` or `..` segment is refused, named
 * by its number (the engine checks the rest of each path).
 */
export function readPathList(file: string): string[] {
  return readFlagLines(file, 'paths').map(({ line, number }) => {
    // A doubled slash (`a//b`, a script's `$dir/$name` with a trailing slash in $dir) is one, as
    // rsync and rclone read it: refused as "a . or .. part", the message named none (QA 25a #8).
    const path = line
      .replace(/^(\.?\/)+/, '')
      .replace(/\/+$/, '')
      .replace(/\/{2,}/g, '/')
    if (path === '' || path.split('/').some((s) => s === '.' || s === '..' || s === '')) {
      throw new Error(
        `${file}, line ${number} (${JSON.stringify(line)}): give a path below the source root, without . or .. parts`,
      )
    }
    return path
  })
}
