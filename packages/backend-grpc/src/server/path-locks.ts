/**
 * Keeps a symlink from appearing on the way to a path while the server writes below it.
 *
 * Writes and other mutations hold a *shared* lock on their path for their whole duration; the two
 * operations that can put a symlink at a path (Symlink, and Move onto it) take an *exclusive* lock
 * on that path, which waits for every shared holder below it (`path/…`) and blocks new ones. So a
 * directory checked to be real at the start of a write stays real until its rename, whatever
 * concurrent clients do. (Other local users of the server's machine are trusted, as with rsync.)
 */
export class PathLocks {
  private readonly holders = new Map<string, number>()
  private readonly reserved = new Set<string>()
  private waiters: Array<() => void> = []

  /** Runs `fn` holding a shared lock on `path` (a full path below the served root). */
  async shared<T>(path: string, fn: () => Promise<T>): Promise<T> {
    while (this.blockedShared(path)) await this.wait()
    this.holders.set(path, (this.holders.get(path) ?? 0) + 1)
    try {
      return await fn()
    } finally {
      const n = this.holders.get(path)! - 1
      if (n === 0) this.holders.delete(path)
      else this.holders.set(path, n)
      this.wake()
    }
  }

  /** Runs `fn` holding an exclusive lock on `path`. */
  async exclusive<T>(path: string, fn: () => Promise<T>): Promise<T> {
    // Reserve first, so new shared holders below `path` queue behind us (no starvation).
    while ([...this.reserved].some((x) => overlaps(x, path))) await this.wait()
    this.reserved.add(path)
    try {
      while ([...this.holders.keys()].some((s) => isBelow(s, path))) await this.wait()
      return await fn()
    } finally {
      this.reserved.delete(path)
      this.wake()
    }
  }

  /**
   * Waits, blocking no one, until no one holds `path` itself (a write of it has ended, and done
   * what it does when it fails), or `ms` passed.
   */
  idle(path: string, ms: number): Promise<void> {
    return this.waitWhile(() => this.holders.has(path), ms)
  }

  /**
   * Waits until no one holds any path (every write has ended, and done what it does when it fails:
   * a stopped upload keeps its partial), or `ms` passed.
   */
  drained(ms: number): Promise<void> {
    return this.waitWhile(() => this.holders.size > 0, ms)
  }

  /** Waits, each time a lock is let go, while `held()` says so, for `ms` at most. */
  private async waitWhile(held: () => boolean, ms: number): Promise<void> {
    const until = Date.now() + ms
    while (held() && Date.now() < until) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        this.wait(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, until - Date.now())
        }),
      ])
      clearTimeout(timer)
    }
  }

  private blockedShared(path: string): boolean {
    for (const x of this.reserved) if (isBelow(path, x)) return true
    return false
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const resolve of w) resolve()
  }
}

/** True when `path` is `dir` or below it. */
function isBelow(path: string, dir: string): boolean {
  return dir === '' || path === dir || path.startsWith(`${dir}/`)
}

function overlaps(a: string, b: string): boolean {
  return isBelow(a, b) || isBelow(b, a)
}
