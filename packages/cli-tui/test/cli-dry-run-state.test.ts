import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, runCli, tempDir, writeTree } from './helpers/cli.js'

// A dry run asking for a state server that is down said nothing and exited 0, where the real run
// fails with exit 2: it now fails as the real run would, so that it predicts it.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

/** A port of 127.0.0.1 that nothing listens on (a state server that is down). */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('a dry run with --state at a state server that is down', () => {
  // PostgreSQL's was not asked at all (exit 0), since opening its store makes its table: the dry run
  // now asks the server (SELECT 1) without opening the store.
  it.each([
    ['Redis', 'redis://127.0.0.1:PORT'],
    ['PostgreSQL', 'postgres://syncflow@127.0.0.1:PORT/postgres'],
  ])('(%s) fails as the real run does (exit 2, the same message), and writes nothing', async (_name, url) => {
    const root = await tempDir('dry-run-state-')
    await writeTree(join(root, 'src'), { a: 'a' })
    const env = { SYNCFLOW_STATE_DIR: join(root, 'state') }
    const state = url.replace('PORT', String(await closedPort()))
    const args = ['sync', join(root, 'src'), join(root, 'dst'), '--state', state]
    const real = await runCli(args, { env })
    expect(real.code, real.stderr).toBe(2)
    const dry = await runCli([...args, '--dry-run'], { env })
    expect(dry.code, dry.stderr).toBe(2)
    expect(dry.stderr).toContain('cannot reach the state store')
    expect(dry.stderr).toBe(real.stderr)
    expect(existsSync(join(root, 'dst'))).toBe(false)
    // Without the store, as the hint says, the dry run runs.
    const without = await runCli([...args.slice(0, 3), '--no-state', '--dry-run'], { env })
    expect(without.code, without.stderr).toBe(0)
    expect(without.stdout).toContain('would copy')
  })
})

// pg printed a 10-line "SECURITY WARNING" on every run given sslmode=require (prefer, verify-ca),
// to say that it checks those as verify-full: the URL now says verify-full to pg, as it was taken.
describe('--state postgres://…?sslmode=require', () => {
  it("prints no warning of pg, only the run's own message", async () => {
    const root = await tempDir('state-sslmode-')
    await writeTree(join(root, 'src'), { a: 'a' })
    const env = { SYNCFLOW_STATE_DIR: join(root, 'state') }
    for (const mode of ['require', 'prefer', 'verify-ca']) {
      const state = `postgres://syncflow@127.0.0.1:${await closedPort()}/postgres?sslmode=${mode}`
      const r = await runCli(['sync', join(root, 'src'), join(root, 'dst'), '--state', state], { env })
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).not.toMatch(/SECURITY WARNING|Warning/)
      // The URL the user gave, as given.
      expect(r.stderr).toContain(`state.open (${state}): cannot reach the state store`)
      expect(r.stderr.trim().split('\n')).toHaveLength(2)
    }
  })
})
