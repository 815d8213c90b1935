// Vitest globalSetup of the core project: a real Redis and a real PostgreSQL for the shared
// state store tests, handed to them with `provide('redis' | 'postgres', …)` (see state-server-env.ts).
//
// For each: `REDIS_TEST_URL` / `POSTGRES_TEST_URL` set: that server is used as is (every test works
// under its own job id). Otherwise scripts/redis/start-redis.sh or scripts/postgres/start-postgres.sh
// installs it (as root on Debian) and starts a throw-away one on a free port of 127.0.0.1; the
// teardown stops it and removes its directory. No server to be had (not root, not Debian, install
// failed): those tests are skipped, their title says why. A server installed but failing to start
// is an error.
import { execFile } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'
import type { StateServerEnv } from './state-server-env.js'

const SCRIPTS = fileURLToPath(new URL('../../../scripts/', import.meta.url))

export interface Server {
  readonly name: 'redis' | 'postgres'
  readonly urlVar: string
  readonly dirVar: string
  readonly start: string
  readonly stop: string
}

export const SERVERS: readonly Server[] = [
  {
    name: 'redis',
    urlVar: 'REDIS_TEST_URL',
    dirVar: 'REDIS_DIR',
    start: 'redis/start-redis.sh',
    stop: 'redis/stop-redis.sh',
  },
  {
    name: 'postgres',
    urlVar: 'POSTGRES_TEST_URL',
    dirVar: 'POSTGRES_DIR',
    start: 'postgres/start-postgres.sh',
    stop: 'postgres/stop-postgres.sh',
  },
]

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

function run(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [`${SCRIPTS}${script}`, ...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0
      resolve({ code: Number.isInteger(code) ? code : 1, stdout, stderr })
    })
  })
}

/** How many ports a start tries, each found taken by the time the server binds it. */
const PORT_TRIES = 5

/**
 * Starts (or takes from the environment) one server; resolves with what the tests get and its
 * teardown. `pickPort` gives the port to try (a free one: the OS picks it).
 */
export async function startServer(
  s: Server,
  pickPort: () => Promise<number> = freePort,
): Promise<{ env: StateServerEnv; stop: () => Promise<void> }> {
  const given = process.env[s.urlVar]
  if (given) return { env: { available: true, url: given }, stop: async () => {} }
  // The port is free when picked, not when the server binds it (neither server reports a port the
  // OS chose: Redis's --port 0 means no TCP at all): another process may take it in between, so a
  // start that found it taken is tried again on another.
  let started = await run(s.start, [String(await pickPort())])
  for (
    let tries = 1;
    tries < PORT_TRIES && started.code !== 0 && /Address already in use/.test(started.stderr);
    tries++
  ) {
    started = await run(s.start, [String(await pickPort())])
  }
  const lastLine = started.stderr.trim().split('\n').at(-1) ?? ''
  if (started.code === 3 && lastLine.startsWith('unavailable: ')) {
    return { env: { available: false, reason: lastLine.slice('unavailable: '.length) }, stop: async () => {} }
  }
  const vars = Object.fromEntries([...started.stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]))
  const url = vars[s.urlVar]
  const dir = vars[s.dirVar]
  if (started.code !== 0 || !url || !dir) {
    throw new Error(`scripts/${s.start} failed (exit ${started.code}):\n${started.stderr.slice(-4000)}`)
  }
  return {
    env: { available: true, url },
    stop: async () => {
      await run(s.stop, [dir])
    },
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // One after the other: two apt-get installs at once would fight over dpkg's lock.
  const stops: (() => Promise<void>)[] = []
  try {
    for (const s of SERVERS) {
      const { env, stop } = await startServer(s)
      stops.push(stop)
      project.provide(s.name, env)
    }
  } catch (err) {
    await Promise.all(stops.map((stop) => stop()))
    throw err
  }
  return async () => {
    await Promise.all(stops.map((stop) => stop()))
  }
}
