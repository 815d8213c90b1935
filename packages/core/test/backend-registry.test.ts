import { Readable } from 'node:stream'
import {
  type Backend,
  type BackendPlugin,
  BackendRegistry,
  createMemBackend,
  guardPlugin,
  isSyncError,
  type MemBackend,
  MemoryStateStore,
  memBackend,
  sync,
} from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'

// QA 4a F13: `register` checks a plugin as the CLI's --plugin loader does (the same checks, shared
// through `BackendRegistry.pluginProblems`), instead of registering `f`, `l`, `a`, `t` for schemes: 'flat'.

const open = async () => {
  throw new Error('never opened')
}

/**
 * A third-party plugin of scheme `name` whose backend is a mem backend that `patch` changes, opened
 * through a registry as the CLI opens a --plugin's (guarded, as `syncflow-backend-<name>`).
 */
async function openGuarded(name: string, patch: (b: MemBackend) => void): Promise<Backend> {
  const plugin: BackendPlugin = {
    name,
    schemes: [name],
    async open() {
      const b = createMemBackend()
      patch(b)
      return b
    },
  }
  const registry = new BackendRegistry()
  registry.register(guardPlugin(plugin, `syncflow-backend-${name}`))
  return registry.open(`${name}://x`)
}

/** A mirror from `source` to `target` aborted once `started` settles: it must end, its `done` interrupted. */
async function expectAbortedSyncEnds(source: Backend, target: Backend, started: Promise<void>): Promise<void> {
  const controller = new AbortController()
  const events = lastValueFrom(
    sync(source, target, { mode: 'mirror', state: new MemoryStateStore(), signal: controller.signal }).pipe(toArray()),
  )
  await started
  controller.abort()
  const done = (await events).at(-1)
  expect(done?.type).toBe('done')
  expect(done?.type === 'done' && done.summary.interrupted).toBe(true)
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
    const b = await openGuarded('flaky', (m) => {
      m.stat = async () => {
        throw new Error('plain boom')
      }
    })
    const err = await b.stat('a' as never).catch((e: unknown) => e)
    expect(isSyncError(err) && err.code).toBe('UNKNOWN')
    expect(err).toMatchObject({ op: 'flaky.stat', message: expect.stringContaining('syncflow-backend-flaky') })
    expect((err as { hint: string }).hint).not.toContain('bug in syncflow')
    await b.close()
    const registry = new BackendRegistry()
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
    let listing!: () => void
    const listed = new Promise<void>((resolve) => {
      listing = resolve
    })
    const source = await openGuarded('stuck', (b) => {
      b.list = async function* () {
        listing()
        await new Promise<never>(() => {})
      }
    })
    await expectAbortedSyncEnds(source, createMemBackend(), listed)
  })
})

describe('guardPlugin: a plugin write that ignores the abort signal', () => {
  // QA 25: as a listing, a write() that never settles and ignores opts.signal kept an aborted sync
  // (and so the CLI after its first Ctrl-C) waiting for ever.
  it('an aborted sync ends, interrupted, though the write never settles', async () => {
    let writing!: () => void
    const written = new Promise<void>((resolve) => {
      writing = resolve
    })
    const target = await openGuarded('stuck', (b) => {
      // The engine would copy between two mem backends without write(): only write() is left.
      Object.assign(b, { copyFrom: undefined, linkFrom: undefined })
      b.write = () => {
        writing()
        return new Promise<never>(() => {})
      }
    })
    const source = createMemBackend()
    await source.write('a.txt' as never, Readable.from([Buffer.from('a')]), { mtimeMs: 1_600_000_000_000 })
    await expectAbortedSyncEnds(source, target, written)
  })
})

describe('guardPlugin: a plugin backend with malformed capabilities', () => {
  // QA 25: `hashes: 'sha256'` (not an array) failed mid-run as "internal error: ...
  // hashes.find is not a function. This is a bug in syncflow".
  it('is refused at open(), USAGE naming the plugin and the member', async () => {
    const err = await openGuarded('odd', (b) => {
      Object.defineProperty(b, 'capabilities', { value: { ...b.capabilities, hashes: 'sha256', watch: 'yes' } })
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'USAGE' })
    const message = (err as Error).message
    expect(message).toContain('syncflow-backend-odd')
    expect(message).toContain('capabilities.hashes must be an array of hash names')
    expect(message).toContain('capabilities.watch must be "native", "poll" or "none", not the string "yes"')
    // A well-formed one opens.
    await (await openGuarded('ok', () => {})).close()
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
    const b = await openGuarded('odd', (m) => {
      m.list = async function* () {
        yield value as never
      }
    })
    const err = await (async () => {
      for await (const _e of b.list()) return undefined
    })().catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'UNKNOWN', op: 'odd.list', message: expect.stringContaining('not an Entry') })
    expect((err as Error).message).toContain('syncflow-backend-odd')
    await b.close()
  })
})
