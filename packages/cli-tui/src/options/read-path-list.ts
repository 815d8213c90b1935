import { readFlagFile } from './read-flag-file.js'

/**
 * The paths of a `--files-from` FILE (`-` is standard input), as rclone reads them: one path a line,
 * relative to the source root; blank lines and lines starting with `#` or `;` left out, a trailing
 * `\r` dropped (a file written on Windows), a leading `/` or `./` and a trailing `/` too (rsync's
 * lists are often made by `find .`). Other spaces are kept: they may be part of a name. A line with
 * a `.` or `..` segment is refused, named by its number (the engine checks the rest of each path).
 */
export function readPathList(file: string): string[] {
  const text = readFlagFile(file, 'paths')
  const paths: string[] = []
  const lines = text.replace(/^\uFEFF/, '').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '')
    if (line.trim() === '' || line.startsWith('#') || line.startsWith(';')) continue
    const path = line.replace(/^(\.?\/)+/, '').replace(/\/+$/, '')
    const segments = path.split('/')
    if (path === '' || segments.some((s) => s === '.' || s === '..' || s === '')) {
      throw new Error(
        `${file}, line ${i + 1} (${JSON.stringify(line)}): give a path below the source root, without . or .. parts`,
      )
    }
    paths.push(path)
  }
  return paths
}
