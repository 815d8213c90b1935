// The SQLite store's own promises: WAL mode, one statement (one transaction) per batch, writes
// committed before close, and clear errors for files it cannot use.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { openStateStore, type StateRecord, toRelPath } from '@syncflow/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createKeyvStateStore, STATE_BATCH_SIZE } from '../src/state/keyv-state-store.js'
import { type BatchedKeyvSqlite, openSqliteKeyv } from '../src/state/sqlite-keyv.js'

const record = (n: number): StateRecord => ({
  source: { size: n, mtimeMs: n },
  target: { size: n, mtimeMs: n },
  syncedAt: n,
})

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'syncflow-sqlite-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Opens a store on `file` and counts the SQL statements its adapter runs. */
async function countingStore(file: string) {
  const keyv = await openSqliteKeyv(file)
  const adapter = keyv.store as BatchedKeyvSqlite
  const statements: string[] = []
  const query = adapter.query
  adapter.query = (sql: string, ...params: unknown[]) => {
    statements.push(sql.trim().split(/\s+/)[0]!.toUpperCase())
    return query(sql, ...params)
  }
  return { store: createKeyvStateStore(keyv, { location: file }), adapter, statements }
}

describe('SQLite state store', () => {
  it('runs in WAL mode with synchronous=NORMAL', async () => {
    const keyv = await openSqliteKeyv(path.join(dir, 'a.sqlite'))
    const adapter = keyv.store as BatchedKeyvSqlite
    expect(await adapter.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }])
    expect(await adapter.query('PRAGMA synchronous')).toEqual([{ synchronous: 1 }]) // 1 = NORMAL
    await keyv.disconnect()
  })

  it('sends one statement per batch of at most STATE_BATCH_SIZE records', async () => {
    const { store, statements } = await countingStore(path.join(dir, 'a.sqlite'))
    const n = 2 * STATE_BATCH_SIZE + 500
    const paths = Array.from({ length: n }, (_, i) => toRelPath(`f${i}`))
    await store.setMany(paths.map((p, i) => [p, record(i)] as const))
    expect(statements).toEqual(['INSERT', 'INSERT', 'INSERT'])
    statements.length = 0
    expect((await store.getMany(paths)).filter(Boolean)).toHaveLength(n)
    expect(statements).toEqual(['SELECT', 'SELECT', 'SELECT'])
    statements.length = 0
    await store.deleteMany(paths)
    expect(statements).toEqual(['DELETE', 'DELETE', 'DELETE'])
    await store.close()
  })

  it('writes a batch all or nothing', async () => {
    const file = path.join(dir, 'a.sqlite')
    const { store, adapter } = await countingStore(file)
    // A trigger that rejects one row makes the batch's statement fail half-way through.
    await adapter.query(
      `CREATE TRIGGER reject_bad BEFORE INSERT ON keyv WHEN NEW.key LIKE '%/bad' BEGIN SELECT RAISE(ABORT, 'rejected'); END`,
    )
    const batch = ['good1', 'bad', 'good2'].map((name, i) => [toRelPath(name), record(i)] as const)
    await expect(store.setMany(batch)).rejects.toMatchObject({ name: 'SyncError', op: 'state.setMany' })
    expect(await store.getMany(batch.map(([p]) => p))).toEqual([undefined, undefined, undefined])
    await store.close()
  })

  it('reads a damaged record as none, without failing the records beside it (QA 26)', async () => {
    const { store, adapter } = await countingStore(path.join(dir, 'a.sqlite'))
    const names = ['good', 'not-json', 'no-target', 'a-string', 'size-text', 'good2']
    const paths = names.map((n) => toRelPath(n))
    await store.setMany(paths.map((p, i) => [p, record(i)] as const))
    const damage = async (name: string, value: string) =>
      adapter.query(`UPDATE keyv SET value = ? WHERE key = ?`, value, `syncflow:file/${name}`)
    await damage('not-json', '{garbage')
    await damage('no-target', JSON.stringify({ value: { source: { size: 1, mtimeMs: 1 }, syncedAt: 1 } }))
    await damage('a-string', JSON.stringify({ value: 'x' }))
    await damage('size-text', JSON.stringify({ value: { ...record(4), target: { size: '4', mtimeMs: 4 } } }))
    expect(await store.getMany(paths)).toEqual([record(0), undefined, undefined, undefined, undefined, record(5)])
    // And it is written over as any missing one is.
    await store.setMany([[toRelPath('not-json'), record(9)]])
    expect(await store.getMany([toRelPath('not-json')])).toEqual([record(9)])
    await store.close()
  })

  it('keeps the records of jobs that share one file apart', async () => {
    const file = path.join(dir, 'shared.sqlite')
    const a = await openStateStore(file, { jobId: 'job-a' })
    const b = await openStateStore(file, { jobId: 'job_a' }) // a different table from job-a's
    await a.setMany([[toRelPath('x'), record(1)]])
    await b.setMeta('m', 2)
    expect(await b.getMany([toRelPath('x')])).toEqual([undefined])
    expect(await a.getMeta('m')).toBeUndefined()
    await Promise.all([a.close(), b.close()])
  })

  it('commits each batch at once: another connection sees it before close', async () => {
    const file = path.join(dir, 'a.sqlite')
    const writer = await openStateStore(file, { jobId: 'j' })
    await writer.setMany([[toRelPath('a'), record(1)]])
    await writer.setMeta('m', 'v')
    const reader = await openStateStore(file, { jobId: 'j' })
    expect(await reader.getMany([toRelPath('a')])).toEqual([record(1)])
    expect(await reader.getMeta('m')).toBe('v')
    await reader.close()
    await writer.close()
  })

  it('says what to do when the file is not a database', async () => {
    const file = path.join(dir, 'junk.sqlite')
    await writeFile(file, 'this is not a database, just some text that is long enough '.repeat(20))
    const err = await openStateStore(file, { jobId: 'j' }).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'SyncError', code: 'USAGE', path: file })
    expect((err as Error).message).toMatch(/not a usable SQLite database/)
    // Not told flatly to delete it: it may be a file given to --state by mistake (QA 26).
    expect((err as { hint: string }).hint).toMatch(/If it is a state file syncflow made \(damaged\), delete it/)
    expect((err as { hint: string }).hint).toMatch(/some other file, keep it and point --state at another path/)
  })

  // QA 31d: a job table of another layout (another version's, or another program's) failed the run
  // as "internal error … This is a bug in syncflow" (SQLITE_ERROR: no such column: value).
  it('says what to do when the job table is not of the layout this version reads', async () => {
    const file = path.join(dir, 'other.sqlite')
    const keyv = await openSqliteKeyv(file, 'job_j')
    const adapter = keyv.store as BatchedKeyvSqlite
    await adapter.query('CREATE TABLE IF NOT EXISTS job_j (key VARCHAR(255) PRIMARY KEY, value TEXT)')
    await adapter.query('ALTER TABLE job_j RENAME COLUMN value TO data')
    await keyv.disconnect()
    const store = await openStateStore(file, { jobId: 'j' })
    try {
      const err = await store.getMany([toRelPath('a')]).catch((e: unknown) => e)
      expect(err).toMatchObject({ name: 'SyncError', code: 'USAGE', path: file })
      expect((err as Error).message).toMatch(/not laid out as this version of syncflow keeps it/)
      expect((err as { hint: string }).hint).toMatch(/another path/)
    } finally {
      await store.close()
    }
  })

  it('refuses a state location that is no regular file (QA 26: /dev/null was "a bug in syncflow")', async () => {
    const err = await openStateStore('/dev/null', { jobId: 'j' }).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'SyncError', code: 'USAGE', path: '/dev/null' })
    expect((err as Error).message).toMatch(/not a regular file/)
    expect((err as { hint: string }).hint).toMatch(/--no-state/)
  })

  // (A USAGE that names the directory since QA 32a, no longer SQLite's CANTOPEN as PERMISSION.)
  it('says what to do when the file cannot be created in a directory that is not there', async () => {
    const file = path.join(dir, 'no-such-dir', 'a.sqlite')
    const err = await openStateStore(file, { jobId: 'j' }).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'SyncError', code: 'USAGE', path: file })
    expect((err as { hint: string }).hint).toMatch(/mkdir -p/)
  })

  it('says what to do when a part of the state directory is a file', async () => {
    await writeFile(path.join(dir, 'plain'), '')
    const err = await openStateStore(undefined, { jobId: 'j', stateDir: path.join(dir, 'plain', 'sub') }).catch(
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ name: 'SyncError', code: 'USAGE' })
    expect((err as { hint: string }).hint).toMatch(/SYNCFLOW_STATE_DIR/)
  })

  // Root may write anywhere, so this case only exists for other users.
  it.skipIf(process.getuid?.() === 0)('says what to do when the state directory is not writable', async () => {
    const locked = path.join(dir, 'ro')
    await mkdir(locked)
    await chmod(locked, 0o500)
    const err = await openStateStore(undefined, { jobId: 'j', stateDir: locked }).catch((e: unknown) => e)
    await chmod(locked, 0o700)
    expect(err).toMatchObject({ name: 'SyncError', code: 'PERMISSION' })
    expect((err as { hint: string }).hint).toMatch(/--state|--no-state/)
  })
})
