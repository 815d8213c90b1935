/** Parses an `--exclude`/`--include` glob: a non-empty pattern, without gitignore's `!` negation. */
export function parsePattern(value: string): string {
  if (value.trim() === '') throw new Error("Use a glob such as '*.tmp' or 'build/' (quote it so the shell leaves it).")
  if (value.startsWith('!')) {
    throw new Error(
      'A leading ! (re-include) is only understood in .syncflowignore; on the command line, narrow the --exclude pattern instead (an --include cannot override an --exclude).',
    )
  }
  return value
}
