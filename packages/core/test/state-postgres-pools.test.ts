// Several PostgreSQL state stores open in one process (a script running two jobs): @keyv/postgres
// keeps one pool per process, the one of the URL opened last, and its disconnect ends that one,
// whichever store's it is. Closing one store broke the other ("Cannot use a pool after calling end
// on the pool"), and closing that one then failed as "a bug in syncflow". On a real server.
import { randomUUID } from 'node:crypto'
import { tmpdir } from 'node:os'
import { openStateStore, type StateStore, toRelPath } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { stateServerEnv } from './state-server-env.js'

const server = stateServerEnv('postgres')
const rec = { source: { size: 1, mtimeMs: 1 }, target: { size: 1, mtimeMs: 1 }, syncedAt: 1 }
const path = toRelPath('f')

async function open(url: string): Promise<StateStore> {
  return openStateStore(url, { jobId: `pools-${randomUUID()}`, stateDir: tmpdir() })
}

/** Writes and reads a record back: what a run does with its store. */
async function works(store: StateStore): Promise<boolean> {
  await store.setMany([[path, rec]])
  return (await store.getMany([path]))[0] !== undefined
}

/** The same server under another URL (another string, so another pool of @keyv/postgres). */
function otherUrl(url: string): string {
  const u = new URL(url)
  u.searchParams.set('application_name', 'syncflow-test-other')
  return u.toString()
}

describe.skipIf(!server.available)(
  `PostgreSQL state stores open side by side in one process${server.available ? '' : ` (skipped: ${server.reason})`}`,
  () => {
    const url = server.available ? server.url : ''

    it('of one URL: closing one leaves the other working, and closing it too succeeds', async () => {
      const a = await open(url)
      const b = await open(url)
      expect(await works(a)).toBe(true)
      await a.close()
      expect(await works(b)).toBe(true)
      await b.close()
      // And a store opened after both were closed has a pool again.
      const c = await open(url)
      expect(await works(c)).toBe(true)
      await c.close()
    })

    it('of two URLs, closed in either order: each works until it is closed', async () => {
      for (const closeFirst of ['older', 'newer'] as const) {
        const older = await open(url)
        const newer = await open(otherUrl(url))
        const [first, second] = closeFirst === 'older' ? [older, newer] : [newer, older]
        await first.close()
        expect(await works(second)).toBe(true)
        const third = await open(url)
        expect(await works(third)).toBe(true)
        expect(await works(second)).toBe(true)
        await second.close()
        expect(await works(third)).toBe(true)
        await third.close()
      }
    })
  },
)
