import KeyvSqlite from '@keyv/sqlite'
import Keyv from 'keyv'
import { keyvDeserialize } from './keyv-deserialize.js'

/** A row of @keyv/sqlite's table. */
interface Row {
  readonly key: string
  readonly value: string
}

/**
 * @keyv/sqlite with its batch calls made one SQL statement each. The stock adapter has no
 * `setMany`, so keyv falls back to one `set` (one transaction, one fsync) per key: about 10 s for
 * 10,000 keys. Here a batch is one `INSERT … SELECT FROM json_each(?)`: one statement is one
 * transaction, atomic, and needs one bound parameter whatever the batch size (so SQLite's
 * variable limit never applies). `getMany` matches rows by a Map instead of a linear search per
 * key, and `deleteMany` skips the read the stock one does first.
 */
export class BatchedKeyvSqlite extends KeyvSqlite {
  #table(): string {
    // The stock adapter has already sanitized the name to [A-Za-z0-9_].
    return this.opts.table ?? 'keyv'
  }

  override async getMany<Value>(keys: string[]): Promise<(Value | undefined)[]> {
    const rows = (await this.query(
      `SELECT key, value FROM ${this.#table()} WHERE key IN (SELECT value FROM json_each(?))`,
      JSON.stringify(keys),
    )) as Row[]
    const byKey = new Map(rows.map((row) => [row.key, row.value]))
    return keys.map((key) => byKey.get(key) as Value | undefined)
  }

  async setMany(entries: { key: string; value: unknown }[]): Promise<void> {
    if (entries.length === 0) return
    // `WHERE true` resolves SQLite's parsing ambiguity between a join's ON and the upsert's ON CONFLICT.
    await this.query(
      `INSERT INTO ${this.#table()} (key, value)
       SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?) WHERE true
       ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
      JSON.stringify(entries.map((e) => [e.key, e.value])),
    )
  }

  override async deleteMany(keys: string[]): Promise<boolean> {
    if (keys.length === 0) return false
    await this.query(`DELETE FROM ${this.#table()} WHERE key IN (SELECT value FROM json_each(?))`, JSON.stringify(keys))
    return true
  }
}

/**
 * Opens (creating if needed) table `table` of the SQLite file `file` as a keyv, in WAL mode with
 * `synchronous=NORMAL`: a commit is one append to the log without an fsync of the database, and
 * a crash of the process never loses a committed batch (a power loss may lose the last ones,
 * which the next run re-verifies).
 * @throws the sqlite3 error when the file cannot be opened or is not a database.
 */
export async function openSqliteKeyv(file: string, table = 'keyv'): Promise<Keyv> {
  const adapter = new BatchedKeyvSqlite({ uri: `sqlite://${file}`, table, busyTimeout: 5000 })
  const keyv = new Keyv({ store: adapter, namespace: 'syncflow', deserialize: keyvDeserialize })
  try {
    // These are the first statements on the connection, so they also surface open errors.
    await adapter.query('PRAGMA journal_mode=WAL')
    await adapter.query('PRAGMA synchronous=NORMAL')
  } catch (err) {
    await adapter.disconnect().catch(() => {})
    throw err
  }
  return keyv
}
