// Vitest globalSetup of the core project: a real Redis for the shared-state-store tests, handed to
// them with `provide('redis', …)` (read with `inject('redis')`, see redis-test-env.ts).
//
// - `REDIS_TEST_URL` set: that server is used as is; every run works under its own job ids.
// - otherwise: scripts/redis/start-redis.sh installs (as root on Debian) and starts a throw-away
//   redis-server on a free port of 127.0.0.1; the teardown stops it and removes its directory.
// - no server can be had (not root, not Debian, install failed): the Redis tests are skipped, their
//   title says why. A server that was installed but fails to start is an error.
import { execFile } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'
import type { RedisTestEnv } from './redis-test-env.js'

const SCRIPTS = fileURLToPath(new URL('../../../scripts/redis/', import.meta.url))

/** A port nothing listens on right now (the OS picks it). */
function freePort(): Promise<number> {
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
    execFile('bash', [`${SCRIPTS}${script}`, ...args], (error, stdout, stderr) => {
      const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0
      resolve({ code: Number.isInteger(code) ? code : 1, stdout, stderr })
    })
  })
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.REDIS_TEST_URL
  if (given) {
    const env: RedisTestEnv = { available: true, url: given }
    project.provide('redis', env)
    return async () => {}
  }
  const started = await run('start-redis.sh', [String(await freePort())])
  const lastLine = started.stderr.trim().split('\n').at(-1) ?? ''
  if (started.code === 3 && lastLine.startsWith('unavailable: ')) {
    project.provide('redis', { available: false, reason: lastLine.slice('unavailable: '.length) })
    return async () => {}
  }
  const vars = Object.fromEntries([...started.stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]))
  if (started.code !== 0 || !vars.REDIS_TEST_URL || !vars.REDIS_DIR) {
    throw new Error(`scripts/redis/start-redis.sh failed (exit ${started.code}):\n${started.stderr.slice(-4000)}`)
  }
  project.provide('redis', { available: true, url: vars.REDIS_TEST_URL })
  const dir = vars.REDIS_DIR
  return async () => {
    await run('stop-redis.sh', [dir])
  }
}
