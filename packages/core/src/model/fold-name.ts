/**
 * The key two names share when a case-insensitive file system takes them for one. Not
 * `toLowerCase()` alone: it lowers a Greek capital sigma by its place in the word (`ΟΔΟΣ` gives
 * `οδος`, but `ΟΔΟΣ.txt` gives `οδοσ.txt`, the dot being no end of word), while exFAT (its upcase
 * table), NTFS and casefolded ext4 take final ς, σ and Σ for one letter: `ΟΔΟΣ.txt` and `οδος.txt`
 * were kept apart here and merged on the target (two such directories: one, exit 0).
 */
export function foldName(name: string): string {
  const lower = name.toLowerCase()
  return lower.includes('ς') ? lower.replaceAll('ς', 'σ') : lower
}
