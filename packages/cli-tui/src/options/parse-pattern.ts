/** Parses an `--exclude`/`--include` glob: any non-empty pattern (gitignore-style globs). */
export function parsePattern(value: string): string {
  if (value.trim() === '') throw new Error("Use a glob such as '*.tmp' or 'build/' (quote it so the shell leaves it).")
  return value
}
