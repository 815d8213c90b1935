/** Parses an `--exclude`/`--include` glob: a non-empty pattern, without gitignore's `!` negation. */
export function parsePattern(value: string): string {
  // Only the empty pattern: one of blanks names a file of blanks (Linux allows it, and it is
  // synced), which rsync's and rclone's --exclude '   ' leave out; it was refused here with "use a
  // glob such as '*.tmp'", so such a name could not be excluded as written (QA 29e).
  if (value === '') throw new Error("Use a glob such as '*.tmp' or 'build/' (quote it so the shell leaves it).")
  if (value.startsWith('!')) {
    throw new Error(
      'A leading ! (re-include) is only understood in .syncflowignore; on the command line, narrow the --exclude pattern instead (an --include cannot override an --exclude).',
    )
  }
  return value
}
