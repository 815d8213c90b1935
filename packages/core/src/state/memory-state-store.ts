import { SyncError } from '../errors/sync-error.js'
import type { RelPath } from '../model/rel-path.js'
import type { StateRecord, StateStore } from './state-store.js'

/**
 * A StateStore held in memory, for tests, dry runs and `--no-state`-like uses: nothing survives
 * the process. Values are kept as JSON text so they behave exactly like a persistent store's
 * (no shared references, `undefined` members dropped).
 */
export class MemoryStateStore implements StateStore {
  readonly #records = new Map<string, string>()
  readonly #meta = new Map<string, string>()
  #closed = false

  async getMany(paths: readonly RelPath[]): Promise<(StateRecord | undefined)[]> {
    this.#check()
    return paths.map((path) => parse<StateRecord>(this.#records.get(path)))
  }

  async setMany(records: readonly (readonly [RelPath, StateRecord])[]): Promise<void> {
    this.#check()
    for (const [path, record] of records) this.#records.set(path, JSON.stringify(record))
  }

  async deleteMany(paths: readonly RelPath[]): Promise<void> {
    this.#check()
    for (const path of paths) this.#records.delete(path)
  }

  async getMeta<T = unknown>(key: string): Promise<T | undefined> {
    this.#check()
    return parse<T>(this.#meta.get(key))
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    this.#check()
    // `undefined` has no JSON form: storing it means "no value", as in the keyv store.
    if (value === undefined) this.#meta.delete(key)
    else this.#meta.set(key, JSON.stringify(value))
  }

  async deleteMeta(key: string): Promise<void> {
    this.#check()
    this.#meta.delete(key)
  }

  /** Number of path records held (for tests and diagnostics). */
  get size(): number {
    return this.#records.size
  }

  async close(): Promise<void> {
    this.#closed = true
  }

  #check(): void {
    if (this.#closed) {
      throw new SyncError('UNKNOWN', 'state store used after close()', {
        op: 'state.memory',
        hint: 'This looks like a bug in syncflow: please report it with the output of -v.',
      })
    }
  }
}

function parse<T>(text: string | undefined): T | undefined {
  return text === undefined ? undefined : (JSON.parse(text) as T)
}
