import { chmod, mkdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Subject, takeUntil } from 'rxjs'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
// The same privilege drop as backend-local's permission tests (a sibling's test helper).
import { withoutRootPrivileges } from '../../backend-local/test/helpers.js'
import type { Backend, Watchable } from '../src/index.js'
import {
  CYCLE_WAIT,
  local,
  localTarget,
  removeTempDirs,
  startJob,
  stopJobs,
  tempDirs,
  tree,
} from './continuous-local-helpers.js'

// The continuous job on real local directories when its view of the source has gaps: the
// source's event stream ends on its own (a server shutting down gracefully ends its side of the
// stream), or, while polling, a listing cannot read part of the tree.

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
        const watch = v as Watchable['watch']
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
    await expect.poll(() => tree(dst), CYCLE_WAIT).toEqual({ 'first.txt': '1' })
    expect(subscriptions).toBe(1)

    answering = false
    end$.next()
    await expect.poll(() => job.failures().length, CYCLE_WAIT).toBe(1)
    // The source's watch: its side said (QA 9 #3).
    expect(job.failures()[0]).toMatchObject({ path: '', stage: 'list', side: 'source', error: { code: 'TRANSIENT' } })
    expect(job.failures()[0]?.error.message).toMatch(/change events of .* ended/)
    await writeFile(join(src, 'meanwhile.txt'), '2')
    await rm(join(src, 'first.txt'))
    answering = true
    answer()

    await expect.poll(() => tree(dst), CYCLE_WAIT).toEqual({ 'meanwhile.txt': '2' })
    expect(subscriptions).toBe(2)
    // Events again, not polling: a change now arrives through them.
    await writeFile(join(src, 'after.txt'), '3')
    await expect.poll(() => tree(dst), CYCLE_WAIT).toEqual({ 'meanwhile.txt': '2', 'after.txt': '3' })
    expect(job.events.some((e) => e.type === 'notice' && e.code === 'POLLING')).toBe(false)
    expect(job.failures()).toHaveLength(1)
    expect(job.ended()).toBe(false)
    // Stopped, it ends cleanly (the stream it ends is not watched again), the outage over in its total.
    const last = await job.stop()
    expect(last.summary).toMatchObject({ mode: 'watch', interrupted: true, failed: 0, listingErrors: 0 })
    expect(subscriptions).toBe(2)
  })
})

describe('continuousSync polling a source it cannot read all of', () => {
  it('reports the unreadable directory once, deletes nothing meanwhile, and catches up once it is readable', async (t) => {
    const { src, dst } = await tempDirs()
    await mkdir(join(src, 'locked'))
    await writeFile(join(src, 'locked', 'inside.txt'), 'i')
    await writeFile(join(src, 'keep.txt'), 'k')
    await writeFile(join(src, 'gone.txt'), 'g')
    const ran = await withoutRootPrivileges(async () => {
      let listings = 0
      // No change events: the job polls.
      const source = around(local(src), (p, v) => {
        if (p === 'watch') return undefined
        if (p === 'list') {
          const list = v as Backend['list']
          return (opts: Parameters<Backend['list']>[0]) => {
            listings++
            return list(opts)
          }
        }
        return v
      })
      // A target that keeps no modes (FAT, SMB): its copy of locked/ does not take mode 000 too,
      // which would make the target's listing fail as well until the source's mode is back.
      const target = around(localTarget(dst), (p, v) =>
        p === 'capabilities' ? { ...(v as object), permissions: false } : v,
      )
      const job = startJob(source, target)
      await expect
        .poll(() => tree(dst), CYCLE_WAIT)
        .toEqual({ 'gone.txt': 'g', 'keep.txt': 'k', 'locked/inside.txt': 'i' })
      await chmod(join(src, 'locked'), 0o000)
      try {
        await rm(join(src, 'gone.txt'))
        await expect.poll(() => job.failures().length, CYCLE_WAIT).toBe(1)
        expect(job.failures()[0]).toMatchObject({ path: 'locked', stage: 'list', error: { code: 'PERMISSION' } })
        // Listed a few more times, each without locked/inside.txt and gone.txt: said once, nothing
        // read as gone. A file written next arrives after anything those listings found.
        const seen = listings
        await expect.poll(() => listings, CYCLE_WAIT).toBeGreaterThanOrEqual(seen + 3)
        await writeFile(join(src, 'marker.txt'), 'm')
        await expect.poll(() => tree(dst), CYCLE_WAIT).toHaveProperty('marker.txt', 'm')
        expect(await tree(dst)).toEqual({
          'gone.txt': 'g',
          'keep.txt': 'k',
          'locked/inside.txt': 'i',
          'marker.txt': 'm',
        })
        expect(job.events.filter((e) => e.type === 'planned' && e.action.kind === 'delete')).toEqual([])
        expect(job.failures()).toHaveLength(1)
      } finally {
        await chmod(join(src, 'locked'), 0o755)
      }
      // Listed whole again: the deletes held back run.
      await expect
        .poll(() => tree(dst), CYCLE_WAIT)
        .toEqual({ 'keep.txt': 'k', 'locked/inside.txt': 'i', 'marker.txt': 'm' })
      return { last: await job.stop(), failures: job.failures() }
    }, dirname(src))
    if (!ran) return t.skip('running as root without seteuid(): cannot make a directory unreadable')
    expect(ran.value.failures).toHaveLength(1)
    // The job's total says how things are now: the directory is readable again.
    expect(ran.value.last.summary).toMatchObject({ mode: 'watch', failed: 0, listingErrors: 0, errorCodes: {} })
  })
})
