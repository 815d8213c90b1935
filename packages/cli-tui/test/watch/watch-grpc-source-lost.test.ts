import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, killedAfterEach, startCli, startServe, tempDir, writeTree } from '../helpers/cli.js'

// QA 11 #8: a grpc:// source's server stopped under `watch`: the retry's line was grpc-js's text
// ("No connection established. Last error: Error: connect ECONNREFUSED …"), and neither failure got
// a cycle line (`#n: 1 failed`): the log (and the webhook, the ui's cycles) said nothing of a failed cycle.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

it('a grpc:// source whose server stops: each failure is said in words and counted by a cycle line', async () => {
  const root = await tempDir('syncflow-watch-grpc-')
  const srv = join(root, 'srv')
  await mkdir(srv)
  await writeTree(srv, { 'a.txt': 'a' })
  const { server, port } = await startServe(srv)
  running.push(server)
  const r = startCli(['watch', '--rescan', '0', `grpc://127.0.0.1:${port}/`, join(root, 'dst')], {
    env: { SYNCFLOW_STATE_DIR: join(root, 'state') },
  })
  running.push(r)
  await expect.poll(() => r.stderr(), { timeout: 20_000 }).toMatch(/initial sync: 1 copied/)
  server.child.kill('SIGTERM')
  await server.exited
  // The lost watch, then the refused connection of its first retry (1 s later), each with a cycle line.
  await expect.poll(() => r.stderr(), { timeout: 20_000 }).toMatch(/ #3: 1 failed, /)
  const lines = r.stderr().split('\n')
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l))
  const lost = at(/^failed {3}\(source list\): TRANSIENT: grpc\.watch: lost the connection to 127\.0\.0\.1:\d+ /)
  const refused = at(/^failed {3}\(source list\): TRANSIENT: grpc\.rootExists: /)
  expect(lost, r.stderr()).toBeGreaterThan(0)
  expect(lines[lost + 1]).toBe(
    `  Check that \`syncflow serve\` is running at 127.0.0.1:${port} and reachable from here; what failed is tried again by the next run.`,
  )
  expect(lines[refused]).toBe(
    `failed   (source list): TRANSIENT: grpc.rootExists: cannot connect to 127.0.0.1:${port} (connection refused: the server is not running, or listens on another port)`,
  )
  expect(r.stderr()).not.toContain('No connection established')
  expect(lines.slice(lost, refused).some((l) => / #2: 1 failed, /.test(l))).toBe(true)
  expect(lines.slice(refused).some((l) => / #3: 1 failed, /.test(l))).toBe(true)
})
