import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import { type SyncEvent, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { pseudoRandom, startTestServer } from './helpers.js'

// Many transfers in flight share the run's abort signal: Node must not take that for a leak
// ("MaxListenersExceededWarning: Possible EventTarget memory leak detected").

let srv: Awaited<ReturnType<typeof startTestServer>>
let local: string
const warnings: Error[] = []
const onWarning = (w: Error): void => {
  warnings.push(w)
}

beforeAll(async () => {
  srv = await startTestServer()
  local = await mkdtemp(join(tmpdir(), 'grpc-listeners-'))
})

afterAll(async () => {
  await srv?.stop()
  if (local) await rm(local, { recursive: true, force: true })
})

beforeEach(() => {
  warnings.length = 0
  process.on('warning', onWarning)
})

afterEach(() => {
  process.off('warning', onWarning)
})

async function pull(dir: string): Promise<SyncEvent[]> {
  const source = await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/${dir}` })
  const target = createLocalBackend({ root: join(local, dir) })
  try {
    return await lastValueFrom(sync(source, target, { mode: 'mirror' }).pipe(toArray()))
  } finally {
    await source.close()
    await target.close()
  }
}

/** The run's warnings, once Node has emitted them (process.emitWarning reports on the next tick). */
async function warningsOf(events: SyncEvent[]): Promise<string[]> {
  const done = events.at(-1)
  expect(done?.type === 'done' && done.summary.failed).toBe(0)
  await new Promise((resolve) => setImmediate(resolve))
  return warnings.map((w) => `${w.name}: ${w.message}`)
}

describe('abort listeners of a gRPC → local sync', () => {
  it('20 delta downloads at once leave no MaxListenersExceededWarning', async () => {
    await mkdir(join(srv.dir, 'delta'), { recursive: true })
    await mkdir(join(local, 'delta'), { recursive: true })
    for (let i = 0; i < 20; i++) {
      const base = pseudoRandom(300_000, 100 + i)
      await writeFile(join(local, 'delta', `m${i}`), base)
      await utimes(join(local, 'delta', `m${i}`), 1_600_000_000, 1_600_000_000)
      base.write('ZZ', 7)
      await writeFile(join(srv.dir, 'delta', `m${i}`), base)
    }
    const events = await pull('delta')
    expect(events.filter((e) => e.type === 'completed' && e.action.kind === 'update')).toHaveLength(20)
    expect(await warningsOf(events)).toEqual([])
  })

  it('300 small downloads at once (the local target takes them in groups) leave none either', async () => {
    await mkdir(join(srv.dir, 'small'), { recursive: true })
    for (let i = 0; i < 300; i++) await writeFile(join(srv.dir, 'small', `s${i}`), `file ${i}\n`)
    const events = await pull('small')
    expect(events.filter((e) => e.type === 'completed' && e.action.kind === 'copy')).toHaveLength(300)
    expect(await warningsOf(events)).toEqual([])
  })
})
