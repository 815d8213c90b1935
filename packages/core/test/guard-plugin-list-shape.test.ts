import {
  type Backend,
  type BackendPlugin,
  BackendRegistry,
  createMemBackend,
  guardPlugin,
  isSyncError,
  MemoryStateStore,
  sync,
} from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'

// Plugin-API review: a plugin whose list() is written `async list() { return entries }` (a Promise
// of an array, not an async iterable) was reported as syncflow's own bug ("This looks like a bug in
// syncflow", and `ls` said "internal error: openListing(...) is not a function"), not the plugin's.
async function openWithList(list: () => unknown): Promise<Backend> {
  const plugin: BackendPlugin = {
    name: 'arr',
    schemes: ['arr'],
    async open() {
      const b = createMemBackend()
      ;(b as unknown as { list: () => unknown }).list = list
      return b
    },
  }
  const registry = new BackendRegistry()
  registry.register(guardPlugin(plugin, 'syncflow-backend-arr'))
  return registry.open('arr://x')
}

describe('guardPlugin: a list() that returns no async iterable', () => {
  for (const [what, list] of [
    ['a Promise of an array (async list())', async () => []],
    ['an array', () => []],
  ] as const) {
    it(`blames the plugin for ${what}`, async () => {
      const b = await openWithList(list)
      const err = await (async () => {
        for await (const _ of b.list()) break
      })().catch((e: unknown) => e)
      expect(isSyncError(err) && err.code).toBe('UNKNOWN')
      expect(err).toMatchObject({ op: 'arr.list', message: expect.stringContaining('syncflow-backend-arr') })
      expect((err as Error).message).toMatch(/async iterable/i)
      expect((err as { hint?: string }).hint ?? '').not.toMatch(/bug in syncflow/)
    })
  }

  it('a sync from it fails naming the plugin, not syncflow', async () => {
    const source = await openWithList(async () => [])
    const events = await lastValueFrom(
      sync(source, createMemBackend(), { mode: 'mirror', state: new MemoryStateStore() }).pipe(toArray()),
    )
    const failed = events.find((e) => e.type === 'failed')
    expect(failed?.type === 'failed' && failed.error.message).toMatch(/syncflow-backend-arr/)
    expect(failed?.type === 'failed' && (failed.error.hint ?? '')).not.toMatch(/bug in syncflow/)
  })
})
