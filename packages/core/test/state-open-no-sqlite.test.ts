import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'

// An install whose sqlite3 native build is missing: require('sqlite3') throws as `bindings` does.
vi.mock('node:module', async (original) => ({
  ...(await original<typeof import('node:module')>()),
  createRequire: () => () => {
    throw new Error('Could not locate the bindings file. Tried: …/node_sqlite3.node')
  },
}))

const { openStateStore } = await import('../src/state/open-state-store.js')

let dir: string | undefined
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('openStateStore without a loadable sqlite3', () => {
  it('fails with one clear UNSUPPORTED error that says how to go on', async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-nosqlite-'))
    await expect(openStateStore(undefined, { jobId: '0123456789abcdef', stateDir: dir })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining('native module does not load'),
      hint: expect.stringContaining('--no-state'),
    })
  })
})
