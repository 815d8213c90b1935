// Fault cases of the shared store's lease on top of the real-server tests (state-lease.test.ts): a
// renewal that fails once, or only in time, must not stop a healthy run; a store found gone twice
// in a row must (review 32 M2: one slow connect stopped a watch whose server was up).
import { describe, expect, it, vi } from 'vitest'
import type { SyncError } from '../src/errors/sync-error.js'
import { acquireLease, type LeasePrimitive } from '../src/state/store-lease.js'

/** A lease primitive whose renewals answer as `answers` says, in turn (the last one from then on). */
function primitive(answers: (() => Promise<boolean>)[]): LeasePrimitive & { renewals: number } {
  const p = {
    where: 'test://lease',
    renewals: 0,
    take: async () => true as const,
    renew: async () => {
      const answer = answers[Math.min(p.renewals, answers.length - 1)] as () => Promise<boolean>
      p.renewals++
      return answer()
    },
    takeOver: async () => false,
    release: async () => {},
  }
  return p
}

const refused = () =>
  Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))
const timedOut = () => Promise.reject(new Error('Connection terminated due to connection timeout'))
const held = () => Promise.resolve(true)

describe('the lease of a shared state store', () => {
  it('one renewal that finds the store gone, then one that reaches it: the run goes on', async () => {
    const lost: SyncError[] = []
    const p = primitive([refused, held])
    const lease = await acquireLease(p, { ttlMs: 6000, onLost: (e) => lost.push(e) })
    lease.check()
    await vi.waitFor(() => expect(p.renewals).toBeGreaterThanOrEqual(3), { timeout: 5000, interval: 20 })
    expect(lost).toEqual([])
    await lease.release()
  })

  it('renewals that time out are left to the whole-lease rule, not taken for a store gone', async () => {
    const lost: SyncError[] = []
    const p = primitive([timedOut])
    const lease = await acquireLease(p, { ttlMs: 6000, onLost: (e) => lost.push(e) })
    lease.check()
    await vi.waitFor(() => expect(p.renewals).toBeGreaterThanOrEqual(2), { timeout: 5000, interval: 20 })
    expect(lost).toEqual([])
    await lease.release()
  })

  it('found gone twice in a row: the run is told at once that the store went away', async () => {
    const lost: SyncError[] = []
    const p = primitive([refused])
    const lease = await acquireLease(p, { ttlMs: 60_000, onLost: (e) => lost.push(e) })
    lease.check()
    await vi.waitFor(() => expect(lost).toHaveLength(1), { timeout: 5000, interval: 20 })
    expect(lost[0]).toMatchObject({ code: 'TRANSIENT', message: expect.stringContaining('went away during the run') })
    expect(p.renewals).toBe(2)
    await lease.release()
  })
})
