import { type BackendPlugin, BackendRegistry, isSyncError, memBackend } from '@syncflow/core'
import { describe, expect, it } from 'vitest'

// QA 4a F13: `register` checks a plugin as the CLI's --plugin loader does (the same checks, shared
// through `BackendRegistry.pluginProblems`), instead of registering `f`, `l`, `a`, `t` for schemes: 'flat'.

const open = async () => {
  throw new Error('never opened')
}

/** The error `register` throws for `plugin`, with the registry left as it was. */
function refusal(plugin: unknown): { code: unknown; message: string; hint?: string } {
  const registry = new BackendRegistry()
  let caught: unknown
  try {
    registry.register(plugin as BackendPlugin)
  } catch (err) {
    caught = err
  }
  expect(registry.schemes()).toEqual([])
  expect(isSyncError(caught), String(caught)).toBe(true)
  return caught as { code: unknown; message: string; hint?: string }
}

describe('BackendRegistry.register refuses a malformed plugin (USAGE, naming the problem)', () => {
  const cases: [string, unknown, string][] = [
    [
      'schemes a string',
      { name: 'flat', schemes: 'flat', open },
      'cannot register the backend plugin "flat": "schemes" must be an array of URI schemes, not the string "flat" (write ["flat"])',
    ],
    [
      'a scheme with a space',
      { name: 'flat', schemes: ['fl at'], open },
      '"schemes" has "fl at", which is not a URI scheme',
    ],
    [
      'a scheme with ://',
      { name: 'flat', schemes: ['flat://'], open },
      '"schemes" has "flat://", which is not a URI scheme',
    ],
    ['no scheme', { name: 'flat', schemes: [], open }, '"schemes" is empty: a plugin has at least one scheme'],
    [
      'a scheme that is not a string',
      { name: 'flat', schemes: [7], open },
      '"schemes" has 7, which is not a URI scheme',
    ],
    ['no schemes', { name: 'flat', open }, '"schemes" is missing'],
    ['no open', { name: 'flat', schemes: ['flat'] }, '"open" is missing'],
    [
      'open not a function',
      { name: 'flat', schemes: ['flat'], open: 'x' },
      '"open" must be a function, not the string "x"',
    ],
    ['no name', { schemes: ['flat'], open }, 'cannot register the backend plugin: "name" is missing'],
    ['a name that is not a string', { name: 42, schemes: ['flat'], open }, '"name" must be a non-empty string, not 42'],
    ['not an object', () => memBackend, 'it is a function, not a plugin object { name, schemes, open }'],
    ['undefined', undefined, 'it is undefined, not a plugin object'],
  ]
  it.each(cases)('%s', (_, plugin, message) => {
    const err = refusal(plugin)
    expect(err.code).toBe('USAGE')
    expect(err.message).toContain(message)
    expect(err.hint).toContain('Writing a backend')
  })

  it('names every problem at once', () => {
    expect(BackendRegistry.pluginProblems({ schemes: 'x' })).toEqual([
      '"name" is missing (a string naming the backend)',
      '"schemes" must be an array of URI schemes, not the string "x" (write ["x"])',
      '"open" is missing (a function open(uri, options) resolving to a Backend)',
    ])
  })

  it('a well-formed plugin has no problems and registers each scheme, lower-cased', () => {
    expect(BackendRegistry.pluginProblems(memBackend)).toEqual([])
    const registry = new BackendRegistry()
    registry.register({ name: 'x', schemes: ['X', 'my+x', 'a.b-c'], open })
    expect(registry.schemes()).toEqual(['a.b-c', 'my+x', 'x'])
  })
})

// QA 19 #4: through the library, a plugin's plain Error came back as "a bug in syncflow", under the
// engine's step name. `guardPlugin` (what the CLI wraps every --plugin with) is exported for that.
describe('guardPlugin, for a third-party plugin used from the library', () => {
  it('names the plugin and its method for a plain Error, and checks what open() returns', async () => {
    const { createMemBackend, guardPlugin } = await import('@syncflow/core')
    const flaky: BackendPlugin = {
      name: 'flaky',
      schemes: ['flaky'],
      async open() {
        const b = createMemBackend()
        b.stat = async () => {
          throw new Error('plain boom')
        }
        return b
      },
    }
    const registry = new BackendRegistry()
    registry.register(guardPlugin(flaky, 'syncflow-backend-flaky'))
    const b = await registry.open('flaky://x')
    const err = await b.stat('a' as never).catch((e: unknown) => e)
    expect(isSyncError(err) && err.code).toBe('UNKNOWN')
    expect(err).toMatchObject({ op: 'flaky.stat', message: expect.stringContaining('syncflow-backend-flaky') })
    expect((err as { hint: string }).hint).not.toContain('bug in syncflow')
    await b.close()
    const empty: BackendPlugin = { name: 'empty', schemes: ['empty'], open: async () => ({}) as never }
    registry.register(guardPlugin(empty, 'empty'))
    expect(await registry.open('empty://x').catch((e: unknown) => e)).toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('not a Backend'),
    })
  })
})

describe('guardPlugin: a plugin listing that ignores the abort signal', () => {
  // QA 25: a plugin's list() that never answers (and ignores opts.signal) kept an aborted sync
  // waiting for ever: the CLI's first Ctrl-C did nothing, the second quit without a summary.
  it('an aborted sync ends, interrupted, though the listing never yields', async () => {
    const { createMemBackend, guardPlugin, MemoryStateStore, sync } = await import('@syncflow/core')
    const { lastValueFrom, toArray } = await import('rxjs')
    let listing!: () => void
    const listed = new Promise<void>((resolve) => {
      listing = resolve
    })
    const stuck: BackendPlugin = {
      name: 'stuck',
      schemes: ['stuck'],
      async open() {
        const b = createMemBackend()
        b.list = async function* () {
          listing()
          await new Promise<never>(() => {})
        }
        return b
      },
    }
    const registry = new BackendRegistry()
    registry.register(guardPlugin(stuck, 'syncflow-backend-stuck'))
    const source = await registry.open('stuck://x')
    const target = createMemBackend()
    const controller = new AbortController()
    const events = lastValueFrom(
      sync(source, target, { mode: 'mirror', state: new MemoryStateStore(), signal: controller.signal }).pipe(
        toArray(),
      ),
    )
    await listed
    controller.abort()
    const all = await events
    const done = all.at(-1)
    expect(done?.type).toBe('done')
    expect(done?.type === 'done' && done.summary.interrupted).toBe(true)
  })
})

describe('guardPlugin: a plugin write that ignores the abort signal', () => {
  // QA 25: as a listing, a write() that never settles and ignores opts.signal kept an aborted sync
  // (and so the CLI after its first Ctrl-C) waiting for ever.
  it('an aborted sync ends, interrupted, though the write never settles', async () => {
    const { createMemBackend, guardPlugin, MemoryStateStore, sync } = await import('@syncflow/core')
    const { lastValueFrom, toArray } = await import('rxjs')
    const { Readable } = await import('node:stream')
    let writing!: () => void
    const written = new Promise<void>((resolve) => {
      writing = resolve
    })
    const stuck: BackendPlugin = {
      name: 'stuck',
      schemes: ['stuck'],
      async open() {
        const b = createMemBackend()
        // The engine would copy between two mem backends without write(): only write() is left.
        Object.assign(b, { copyFrom: undefined, linkFrom: undefined })
        b.write = () => {
          writing()
          return new Promise<never>(() => {})
        }
        return b
      },
    }
    const registry = new BackendRegistry()
    registry.register(guardPlugin(stuck, 'syncflow-backend-stuck'))
    const target = await registry.open('stuck://x')
    const source = createMemBackend()
    await source.write('a.txt' as never, Readable.from([Buffer.from('a')]), { mtimeMs: 1_600_000_000_000 })
    const controller = new AbortController()
    const events = lastValueFrom(
      sync(source, target, { mode: 'mirror', state: new MemoryStateStore(), signal: controller.signal }).pipe(
        toArray(),
      ),
    )
    await written
    controller.abort()
    const done = (await events).at(-1)
    expect(done?.type).toBe('done')
    expect(done?.type === 'done' && done.summary.interrupted).toBe(true)
  })
})

describe('guardPlugin: a plugin backend with malformed capabilities', () => {
  // QA 25: `hashes: 'sha256'` (not an array) failed mid-run as "internal error: ...
  // hashes.find is not a function. This is a bug in syncflow".
  it('is refused at open(), USAGE naming the plugin and the member', async () => {
    const { createMemBackend, guardPlugin } = await import('@syncflow/core')
    const odd: BackendPlugin = {
      name: 'odd',
      schemes: ['odd'],
      async open() {
        const b = createMemBackend()
        Object.defineProperty(b, 'capabilities', { value: { ...b.capabilities, hashes: 'sha256', watch: 'yes' } })
        return b
      },
    }
    const registry = new BackendRegistry()
    registry.register(guardPlugin(odd, 'syncflow-backend-odd'))
    const err = await registry.open('odd://x').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'USAGE' })
    const message = (err as Error).message
    expect(message).toContain('syncflow-backend-odd')
    expect(message).toContain('capabilities.hashes must be an array of hash names')
    expect(message).toContain('capabilities.watch must be "native", "poll" or "none", not the string "yes"')
    // A well-formed one opens.
    registry.register(guardPlugin({ name: 'ok', schemes: ['ok'], open: async () => createMemBackend() }, 'ok'))
    await (await registry.open('ok://x')).close()
  })
})

describe('guardPlugin: a plugin listing that yields something that is no Entry', () => {
  // QA 25: a null was "a bug in syncflow", a string "failed undefined", kind 'blob' went on.
  it.each([
    ['null', null],
    ['a string', 'a.txt'],
    ['an unknown kind', { path: 'a.txt', kind: 'blob', size: 1, mtimeMs: 1 }],
    ['a size that is a string', { path: 'a.txt', kind: 'file', size: '1', mtimeMs: 1 }],
  ])('%s is UNKNOWN naming the plugin and list', async (_, value) => {
    const { createMemBackend, guardPlugin } = await import('@syncflow/core')
    const odd: BackendPlugin = {
      name: 'odd',
      schemes: ['odd'],
      async open() {
        const b = createMemBackend()
        b.list = async function* () {
          yield value as never
        }
        return b
      },
    }
    const registry = new BackendRegistry()
    registry.register(guardPlugin(odd, 'syncflow-backend-odd'))
    const b = await registry.open('odd://x')
    const err = await (async () => {
      for await (const _e of b.list()) return undefined
    })().catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'UNKNOWN', op: 'odd.list', message: expect.stringContaining('not an Entry') })
    expect((err as Error).message).toContain('syncflow-backend-odd')
    await b.close()
  })
})
