import { escapedBytes, undecodableBytes } from '../job/undecodable-argument.js'

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
  // Given in bytes that are not UTF-8 (typed in a Latin-1 terminal), a pattern came here with U+FFFD
  // in their place and matched no name, so what it named was synced without a word (QA 29b).
  const bytes = undecodableBytes(value)
  if (bytes !== undefined) {
    throw new Error(
      `${JSON.stringify(value)} is not valid UTF-8 (its bytes: ${escapedBytes(bytes)}): it would match no name, as syncflow reads names as UTF-8 (one that is not is skipped). Write it in UTF-8; a name that is not UTF-8 is matched with a ? where its odd byte is.`,
    )
  }
  return value
}
