/** How many of the paths not found a notice names (the rest are counted). */
const NAMED = 5

/**
 * Which paths of a `--files-from` list the source's listing had: a listed path counts as found when
 * it, or something below it (a listed directory of a source that lists no directories: S3), was
 * listed. Holds at most the list itself.
 */
export class FilesFromSeen {
  readonly #listed: ReadonlySet<string>
  readonly #seen = new Set<string>()

  constructor(listed: ReadonlySet<string>) {
    this.#listed = listed
  }

  /** A path the source listed (and the filters let through). */
  see(path: string): void {
    if (this.#seen.size === this.#listed.size) return
    if (this.#listed.has(path)) this.#seen.add(path)
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
      const dir = path.slice(0, i)
      if (this.#listed.has(dir)) this.#seen.add(dir)
    }
  }

  /** What a notice says of the listed paths not found, or undefined when all were. */
  report(): string | undefined {
    const missing: string[] = []
    for (const path of this.#listed) if (!this.#seen.has(path)) missing.push(path)
    if (missing.length === 0) return undefined
    const named = missing
      .slice(0, NAMED)
      .map((p) => JSON.stringify(p))
      .join(', ')
    const more = missing.length > NAMED ? ` and ${(missing.length - NAMED).toLocaleString('en-US')} more` : ''
    const n = missing.length === 1 ? '1 path' : `${missing.length.toLocaleString('en-US')} paths`
    return `${n} listed by --files-from not in the source (or excluded): ${named}${more}`
  }
}
