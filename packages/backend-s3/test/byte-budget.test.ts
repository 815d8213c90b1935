import { describe, expect, it } from 'vitest'
import { ByteBudget } from '../src/byte-budget.js'

describe('ByteBudget', () => {
  it('grants what fits at once and makes the rest wait, in order', async () => {
    const budget = new ByteBudget(100)
    const a = await budget.acquire(60)
    const order: string[] = []
    const granted = (name: string) => (release: () => void) => {
      order.push(name)
      return release
    }
    const b = budget.acquire(50).then(granted('b'))
    // c would fit now, but b is waiting first: c must not overtake it (no starving big writes).
    const c = budget.acquire(10).then(granted('c'))
    await Promise.resolve()
    expect(order).toEqual([])
    expect(budget.free).toBe(40)
    a()
    const [rb, rc] = await Promise.all([b, c])
    expect(order).toEqual(['b', 'c'])
    expect(budget.free).toBe(40)
    rb()
    rc()
    expect(budget.free).toBe(100)
  })

  it('cuts a reservation bigger than the budget to the budget, so it runs alone', async () => {
    const budget = new ByteBudget(100)
    const small = await budget.acquire(1)
    const huge = budget.acquire(10_000)
    let granted = false
    void huge.then(() => {
      granted = true
    })
    await Promise.resolve()
    expect(granted).toBe(false)
    small()
    const release = await huge
    expect(budget.free).toBe(0)
    release()
    expect(budget.free).toBe(100)
  })

  it('gives back once, however often release is called', async () => {
    const budget = new ByteBudget(10)
    const release = await budget.acquire(4)
    release()
    release()
    expect(budget.free).toBe(10)
  })

  it('rejects a waiter with ABORTED when its signal fires, and lets the next one in', async () => {
    const budget = new ByteBudget(10)
    const held = await budget.acquire(8)
    const controller = new AbortController()
    const waiting = budget.acquire(5, controller.signal)
    const next = budget.acquire(2)
    controller.abort()
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' })
    const r = await next
    expect(budget.free).toBe(0)
    r()
    held()
    expect(budget.free).toBe(10)
    await expect(budget.acquire(1, controller.signal)).rejects.toMatchObject({ code: 'ABORTED' })
    expect(budget.free).toBe(10)
  })
})
