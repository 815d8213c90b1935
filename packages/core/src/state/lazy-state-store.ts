import type { RelPath } from '../model/rel-path.js'
import type { StateRecord, StateStore } from './state-store.js'

/**
 * A StateStore that opens the real one on first use. A local-to-local run decides everything from
 * the two listings and only writes records for what it transferred, so a no-op run never pays for
 * loading SQLite and opening the database.
 */
export function lazyStateStore(open: () => Promise<StateStore>): StateStore {
  let store: Promise<StateStore> | undefined
  const get = (): Promise<StateStore> => {
    store ??= open()
    return store
  }
  return {
    getMany: async (paths: readonly RelPath[]) => (await get()).getMany(paths),
    setMany: async (records: readonly (readonly [RelPath, StateRecord])[]) => (await get()).setMany(records),
    deleteMany: async (paths: readonly RelPath[]) => (await get()).deleteMany(paths),
    getMeta: async <T>(key: string) => (await get()).getMeta<T>(key),
    setMeta: async (key: string, value: unknown) => (await get()).setMeta(key, value),
    deleteMeta: async (key: string) => (await get()).deleteMeta(key),
    close: async () => {
      if (store) await (await store).close()
    },
  }
}
