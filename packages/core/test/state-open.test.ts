// openStateStore: which store each --state location gives, and the errors for bad ones.
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { MemoryStateStore, openStateStore, type StateStore, toRelPath } from '@syncflow/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { importAdapter } from '../src/state/open-state-store.js'

let dir: string
const opened: StateStore[] = []
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'syncflow-open-'))
})
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()))
  await rm(dir, { recursive: true, force: true })
})

async function open(location: string | undefined, opts = { jobId: 'job1', stateDir: path.join(dir, 'state') }) {
  const store = await openStateStore(location, opts)
  opened.push(store)
  return store
}

async function usageError(location: string, jobId = 'job1') {
  const err = await openStateStore(location, { jobId, stateDir: dir }).catch((e: unknown) => e)
  expect(err).toMatchObject({ name: 'SyncError', code: 'USAGE' })
  return err as { message: string; hint: string }
}

function installed(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name)
    return true
  } catch {
    return false
  }
}

describe('openStateStore', () => {
  it('defaults to <stateDir>/<jobId>.sqlite, creating the directory', async () => {
    const store = await open(undefined)
    await store.setMany([
      [toRelPath('a'), { source: { size: 1, mtimeMs: 1 }, target: { size: 1, mtimeMs: 1 }, syncedAt: 1 }],
    ])
    expect(existsSync(path.join(dir, 'state', 'job1.sqlite'))).toBe(true)
  })

  it('opens a plain path, a sqlite:// URI (relative or absolute), a directory and a new PATH/', async () => {
    await open(path.join(dir, 'plain.sqlite'))
    await open(`sqlite://${path.join(dir, 'uri.sqlite')}`)
    const rel = path.relative(process.cwd(), path.join(dir, 'rel.sqlite'))
    await open(`sqlite://${rel}`)
    await mkdir(path.join(dir, 'states'))
    await open(path.join(dir, 'states'))
    await open(`${path.join(dir, 'new', 'states')}/`)
    expect(existsSync(path.join(dir, 'plain.sqlite'))).toBe(true)
    expect(existsSync(path.join(dir, 'uri.sqlite'))).toBe(true)
    expect(existsSync(path.join(dir, 'rel.sqlite'))).toBe(true)
    expect(existsSync(path.join(dir, 'states', 'job1.sqlite'))).toBe(true)
    expect(existsSync(path.join(dir, 'new', 'states', 'job1.sqlite'))).toBe(true)
  })

  // QA 32a: SQLITE_CANTOPEN, said as PERMISSION "cannot open or write the state store", naming no directory.
  it('refuses a file in a directory that does not exist, naming it, and makes nothing', async () => {
    const file = path.join(dir, 'jobs', 'x.sqlite')
    const err = await usageError(file)
    expect(err.message).toMatch(/: the state file's directory "[^"]*jobs" does not exist$/)
    expect(err.hint).toContain(`mkdir -p ${JSON.stringify(path.join(dir, 'jobs'))}`)
    expect(existsSync(path.join(dir, 'jobs'))).toBe(false)
    await usageError(`sqlite://${file}`)
  })

  it('gives a MemoryStateStore for memory:', async () => {
    expect(await open('memory:')).toBeInstanceOf(MemoryStateStore)
    expect(await open('memory://')).toBeInstanceOf(MemoryStateStore)
    await usageError('memory:extra')
  })

  it('refuses an unknown scheme, naming the ones it knows, without showing a password', async () => {
    const err = await usageError('ftp://user:s3cret@host/state')
    expect(err.message).toContain('unknown state location scheme "ftp:"')
    expect(err.message).not.toContain('s3cret')
    expect(err.hint).toMatch(/sqlite:\/\/PATH.*memory:.*redis:\/\/.*postgres:\/\//)
  })

  // A password may hold an '@' (a URL parser takes the last '@' before the host): only the part up
  // to its first '@' was hidden, the rest shown ('user:***@ss@host').
  it('hides the whole of a password that holds an @', async () => {
    const err = await usageError('ftp://user:p@ss@word@host/state')
    expect(err.message).toContain('ftp://user:***@host/state')
    expect(err.message).not.toMatch(/ss@|word/)
  })

  // QA 29c: PostgreSQL takes the password as a query parameter too, and it was shown as given.
  it.skipIf(!installed('@keyv/postgres'))(
    'shows no password given as a query parameter when the server cannot be reached',
    async () => {
      const err = (await open('postgres://u@127.0.0.1:1/db?sslmode=disable&password=s3cret').catch(
        (e: unknown) => e,
      )) as { message: string; path: string }
      expect(err).toMatchObject({ code: 'TRANSIENT' })
      expect(err.message).toContain('postgres://u@127.0.0.1:1/db?sslmode=disable&password=***')
      expect(JSON.stringify(err)).not.toContain('s3cret')
      expect(err.path).not.toContain('s3cret')
    },
    15_000,
  )

  it('refuses an empty location, an empty sqlite:// and a bad job id', async () => {
    await usageError('')
    await usageError('sqlite://')
    await usageError(path.join(dir, 'x.sqlite'), '../escape')
    await usageError(path.join(dir, 'x.sqlite'), '.hidden')
  })

  it.skipIf(installed('@keyv/redis'))('says to install @keyv/redis for redis:// when it is missing', async () => {
    const err = await usageError('redis://localhost:6379')
    expect(err.message).toContain('@keyv/redis')
    expect(err.hint).toBe('npm install @keyv/redis')
  })

  it.skipIf(installed('@keyv/postgres'))(
    'says to install @keyv/postgres for postgres:// when it is missing',
    async () => {
      const err = await usageError('postgresql://me@localhost/db')
      expect(err.hint).toBe('npm install @keyv/postgres')
    },
  )

  // A Redis client reconnects for ever, queueing requests: the open must give up, and say why.
  it.each(['redis://127.0.0.1:1', 'postgres://u@127.0.0.1:1/db'])(
    'fails an unreachable %s within seconds as TRANSIENT "cannot reach the state store"',
    async (location) => {
      await expect(open(location)).rejects.toMatchObject({
        code: 'TRANSIENT',
        message: expect.stringContaining('cannot reach the state store'),
      })
    },
    15_000,
  )

  // QA 23 #9: the library's "This is thrown because throwOnConnectError is set to true." was printed.
  it.skipIf(!installed('@keyv/redis'))(
    "says an unreachable Redis our way, without the library's words about its options",
    async () => {
      const err = (await open('redis://127.0.0.1:1').catch((e: unknown) => e)) as { message: string; hint: string }
      expect(err.message).toMatch(
        /: cannot reach the state store: the Redis server did not accept a connection \(not running, not at that address, or another kind of server on that port\?\)$/,
      )
      expect(err.message).not.toMatch(/throwOnConnectError|This is thrown/)
      expect(err.hint).toMatch(/state server is running/)
    },
    15_000,
  )

  it('tells a missing adapter package from one that fails to load', async () => {
    await expect(importAdapter('@syncflow/no-such-adapter')).rejects.toMatchObject({
      code: 'USAGE',
      hint: 'npm install @syncflow/no-such-adapter',
    })
    // A package that exists but whose import fails is not reported as "not installed".
    await expect(importAdapter('data:text/javascript,throw new Error("boom")')).rejects.toThrow('boom')
  })
})
