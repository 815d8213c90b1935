import { describe, expect, it } from 'vitest'
import { SyncScreenFeed } from '../../src/ui/use-sync-events.js'
import { action, summary, transferEvents } from './fixtures.js'

const feed = (drawBudget = 0.05) => new SyncScreenFeed(false, {}, { frameMs: 250, sampleMs: 1000, drawBudget }, 0)

describe('SyncScreenFeed', () => {
  it('hands out a frame only when something changed', () => {
    const f = feed()
    expect(f.frame(0)?.view.phase).toBe('starting')
    f.drawn(0, 1)
    expect(f.frame(300)).toBeUndefined()
    for (const e of transferEvents('copy', 'a')) f.add(e, () => 300)
    expect(f.frame(300)?.view.counts.copied).toBe(1)
  })

  it('shows a pause at once: what started since it is held, until it ends', () => {
    const f = feed()
    f.frame(0)
    f.drawn(0, 1)
    f.add({ type: 'started', ts: 5000, action: action('copy', 'a') }, () => 300)
    expect(f.frame(300)?.view).toMatchObject({ inFlight: 1, held: 0 })
    f.drawn(300, 301)
    f.setPausedSince(5000)
    // Nothing new came, but the screen changed: a frame, without waiting for the pace.
    expect(f.frame(302, true)?.view).toMatchObject({ inFlight: 0, held: 1 })
    f.drawn(302, 303)
    f.setPausedSince(5000)
    expect(f.frame(600)).toBeUndefined()
    f.setPausedSince(undefined)
    expect(f.frame(600)?.view).toMatchObject({ inFlight: 1, held: 0 })
  })

  it('paces frames: at least frameMs apart, and longer after a costly one (cost / drawBudget)', () => {
    const f = feed()
    const [planned, started] = transferEvents('copy', 'a')
    f.add(planned!, () => 0)
    expect(f.frame(0)).toBeDefined()
    // This frame took 40 ms to draw: the next one may come 800 ms later.
    f.drawn(0, 40)
    f.add(started!, () => 10)
    expect(f.frame(300)).toBeUndefined()
    expect(f.frame(799)).toBeUndefined()
    expect(f.frame(800)?.view.inFlight).toBe(1)
    // A cheap one: frameMs apart.
    f.drawn(800, 801)
    f.add(transferEvents('copy', 'b')[0]!, () => 900)
    expect(f.frame(1049)).toBeUndefined()
    expect(f.frame(1050)).toBeDefined()
  })

  it('waits at most a second for the next frame, however long one took (wall time on a busy machine)', () => {
    const f = feed()
    const [planned, started] = transferEvents('copy', 'a')
    f.add(planned!, () => 0)
    expect(f.frame(0)).toBeDefined()
    // 250 ms at a 5% budget would be 5 s.
    f.drawn(0, 250)
    f.add(started!, () => 10)
    expect(f.frame(999)).toBeUndefined()
    expect(f.frame(1000)?.view.inFlight).toBe(1)
  })

  it('shows the end of a run at once (force), whatever the pace', () => {
    const f = feed()
    f.frame(0)
    f.drawn(0, 100)
    f.add({ type: 'done', ts: 0, summary: summary() }, () => 10)
    expect(f.frame(10)).toBeUndefined()
    expect(f.frame(10, true)?.view.phase).toBe('done')
  })

  it('takes one throughput sample per interval, late frames included, and draws when one fell due', () => {
    const f = feed()
    f.frame(0)
    f.drawn(0, 1)
    expect(f.frame(999)).toBeUndefined()
    expect(f.frame(1000)?.throughput.history).toEqual([0])
    f.drawn(1000, 1001)
    // Frames held back for 3 s: the gap is filled, one sample a second.
    expect(f.frame(4000)?.throughput.history).toEqual([0, 0, 0, 0])
  })
})
