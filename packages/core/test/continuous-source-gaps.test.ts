import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Subject, takeUntil } from 'rxjs'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { Backend } from '../src/index.js'
import { local, localTarget, removeTempDirs, startJob, stopJobs, tempDirs, tree } from './continuous-local-helpers.js'

// The continuous job on real local directories when its view of the source has gaps: the
// source's event stream ends on its own (a server shutting down gracefully ends its side of the
// stream).

afterAll(removeTempDirs)
afterEach(stopJobs)

/**
 * The real local backend seen through `change`: its methods are the backend's own (bound to it,
 * whose private fields a proxy receiver would not have), unless `change` returns another.
 */
function around(backend: Backend, change: (prop: PropertyKey, value: unknown) => unknown): Backend {
  return new Proxy(backend, {
    get: (t, p) => {
      const v = Reflect.get(t, p, t)
      return change(p, typeof v === 'function' ? v.bind(t) : v)
    },
  })
}

describe('continuousSync when the source event stream ends on its own', () => {
  it('says so once, watches again once the source answers, and rescans for what changed meanwhile', async () => {
    const { src, dst } = await tempDirs()
    await writeFile(join(src, 'first.txt'), '1')
    const end$ = new Subject<void>()
    let subscriptions = 0
    // Held while the test makes changes no event will name (the server restarting).
    let answering = true
    let answer = (): void => {}
    const source = around(local(src), (p, v) => {
      if (p === 'watch') {
        const watch = v as NonNullable<Backend['watch']>
        return (opts: Parameters<typeof watch>[0]) => {
          subscriptions++
          return watch(opts).pipe(takeUntil(end$))
        }
      }
      if (p === 'rootExists') {
        const rootExists = v as Backend['rootExists']
        return () => (answering ? rootExists() : new Promise<void>((r) => (answer = r)).then(rootExists))
      }
      return v
    })
    const job = startJob(source, localTarget(dst))
    await expect.poll(() => tree(dst)).toEqual({ 'first.txt': '1' })
    expect(subscriptions).toBe(1)

    answering = false
    end$.next()
    await expect.poll(() => job.failures().length).toBe(1)
    expect(job.failures()[0]).toMatchObject({ path: '', stage: 'list', error: { code: 'TRANSIENT' } })
    expect(job.failures()[0]?.error.message).toMatch(/change events of .* ended/)
    await writeFile(join(src, 'meanwhile.txt'), '2')
    await rm(join(src, 'first.txt'))
    answering = true
    answer()

    await expect.poll(() => tree(dst), { timeout: 10_000 }).toEqual({ 'meanwhile.txt': '2' })
    expect(subscriptions).toBe(2)
    // Events again, not polling: a change now arrives through them.
    await writeFile(join(src, 'after.txt'), '3')
    await expect.poll(() => tree(dst), { timeout: 10_000 }).toEqual({ 'meanwhile.txt': '2', 'after.txt': '3' })
    expect(job.events.some((e) => e.type === 'notice' && e.code === 'POLLING')).toBe(false)
    expect(job.failures()).toHaveLength(1)
    expect(job.ended()).toBe(false)
    // Stopped, it ends cleanly (the stream it ends is not watched again), the outage over in its total.
    const last = await job.stop()
    expect(last.summary).toMatchObject({ mode: 'watch', interrupted: true, failed: 0, listingErrors: 0 })
    expect(subscriptions).toBe(2)
  })
})
