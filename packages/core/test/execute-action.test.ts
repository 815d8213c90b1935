import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend } from '../src/backend/mem-backend.js'
import type { Action, CompletedEvent, DeltaTransfer, RelPath, SyncEvent } from '../src/index.js'
import { executeAction } from '../src/operators/execute-action.js'
import { writeText } from '../src/testkit/index.js'

/** A source and a target holding `a.bin` (10,000 bytes, other content), and the update action between them. */
async function setup(): Promise<{
  source: ReturnType<typeof createMemBackend>
  target: ReturnType<typeof createMemBackend>
  action: Action
}> {
  const source = createMemBackend()
  const target = createMemBackend()
  // Mem → mem would be a direct copy (copyFrom): this target takes only writes and deltas.
  target.copyFrom = async () => undefined
  await writeText(source, 'a.bin', 'n'.repeat(10_000))
  await writeText(target, 'a.bin', 'o'.repeat(10_000))
  const s = await source.stat('a.bin' as RelPath)
  const t = await target.stat('a.bin' as RelPath)
  return {
    source,
    target,
    action: { kind: 'update', path: 'a.bin' as RelPath, source: s!, target: t!, reason: 'test' },
  }
}

/** A delta hook that writes the whole file (as a delta would end up) after telling `wire` what it "sent". */
const deltaSending =
  (wire: number[]): DeltaTransfer =>
  async (source, target, action, meta, opts) => {
    for (const n of wire) opts.onWireBytes?.(n)
    return target.write(action.path, await source.read(action.path), meta, opts)
  }

async function completedOf(events: Promise<SyncEvent[]>): Promise<CompletedEvent> {
  const c = (await events).find((e): e is CompletedEvent => e.type === 'completed')
  if (!c) throw new Error(`not completed: ${JSON.stringify(await events)}`)
  return c
}

describe('executeAction with a delta transfer', () => {
  it('counts the bytes the delta sent as transferred; the file size stays in the result', async () => {
    const { source, target, action } = await setup()
    const c = await completedOf(
      lastValueFrom(executeAction(action, { source, target, delta: deltaSending([100, 23]) }).pipe(toArray())),
    )
    expect(c.bytes).toBe(123)
    expect(c.result?.size).toBe(10_000)
  })

  it("a hook that does not say what it sent counts the file's size, as before", async () => {
    const { source, target, action } = await setup()
    const c = await completedOf(
      lastValueFrom(executeAction(action, { source, target, delta: deltaSending([]) }).pipe(toArray())),
    )
    expect(c.bytes).toBe(10_000)
  })

  it('a plain write (no delta) counts the bytes written', async () => {
    const { source, target, action } = await setup()
    const c = await completedOf(lastValueFrom(executeAction(action, { source, target }).pipe(toArray())))
    expect(c.bytes).toBe(10_000)
  })
})

describe('executeAction and the shared abort signal', () => {
  it('aborting the run signal aborts the attempt, with its reason', async () => {
    const { source, target, action } = await setup()
    const shared = new AbortController()
    let own: AbortSignal | undefined
    const delta: DeltaTransfer = async (_src, _dst, _a, _meta, opts) => {
      own = opts.signal
      shared.abort(new Error('stop'))
      opts.signal?.throwIfAborted()
      return undefined
    }
    const events = await lastValueFrom(
      executeAction(action, { source, target, delta, signal: shared.signal, retries: 0 }).pipe(toArray()),
    )
    expect(own?.aborted).toBe(true)
    expect(own?.reason).toBe(shared.signal.reason)
    expect(events.map((e) => e.type)).toEqual(['started', 'failed'])
  })
})
