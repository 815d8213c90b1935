import { describe, expect, it } from 'vitest'
import { OpenFilesGate, SERVER_FILES_HINT } from '../src/server/open-files-gate.js'

/** A promise and the function that settles it: an operation the test ends when it chooses. */
function held(): { done: Promise<void>; end: () => void } {
  let end!: () => void
  const done = new Promise<void>((resolve) => {
    end = resolve
  })
  return { done, end }
}

describe('OpenFilesGate', () => {
  it('runs at most its capacity at once; the others wait their turn, first come first served', async () => {
    const gate = new OpenFilesGate({ capacity: 2 })
    const signal = new AbortController().signal
    const ops = [held(), held(), held(), held()]
    const started: number[] = []
    const runs = ops.map((op, i) =>
      gate.run('write', signal, async () => {
        started.push(i)
        await op.done
      }),
    )
    await expect.poll(() => started).toEqual([0, 1])
    expect(gate.waiting).toBe(2)
    ops[1]!.end()
    await expect.poll(() => started).toEqual([0, 1, 2])
    ops[0]!.end()
    await expect.poll(() => started).toEqual([0, 1, 2, 3])
    ops[2]!.end()
    ops[3]!.end()
    await Promise.all(runs)
    expect(gate.running).toBe(0)
  })

  it('gives the turn back when the operation fails', async () => {
    const gate = new OpenFilesGate({ capacity: 1 })
    const signal = new AbortController().signal
    await expect(gate.run('read', signal, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(gate.running).toBe(0)
    await expect(gate.run('read', signal, async () => 'next')).resolves.toBe('next')
  })

  it('a request whose client went away leaves the queue (ABORTED) and passes its turn on', async () => {
    const gate = new OpenFilesGate({ capacity: 1 })
    const first = held()
    const running = gate.run('read', new AbortController().signal, () => first.done)
    const gone = new AbortController()
    const waiting = gate.run('read', gone.signal, async () => 'never')
    const third = gate.run('read', new AbortController().signal, async () => 'third')
    gone.abort()
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' })
    expect(gate.waiting).toBe(1)
    first.end()
    await running
    await expect(third).resolves.toBe('third')
  })

  it('waits at most maxWaitMs, then fails TRANSIENT with a hint about the server (no deadlock)', async () => {
    const gate = new OpenFilesGate({ capacity: 1, limit: 64, maxWaitMs: 50 })
    const first = held()
    const running = gate.run('read', new AbortController().signal, () => first.done)
    const err = await gate.run('write', new AbortController().signal, async () => {}).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'TRANSIENT', op: 'serve.write', hint: SERVER_FILES_HINT })
    expect((err as Error).message).toContain('at most 1 operations on files at once under its limit of 64')
    expect(gate.waiting).toBe(0)
    first.end()
    await running
  })
})
