import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  killedAfterEach,
  readTree,
  runCli,
  startServe,
  tempDir,
  writeTree,
} from './helpers/cli.js'

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

// Review 23 F4: four clients of --concurrency 32 each made a server under `ulimit -n 64` fail
// writes with EMFILE, and each client was told to raise its own limit.
describe('syncflow serve under a low open-files limit', () => {
  it('makes the requests of many clients at once wait their turn instead of failing with EMFILE', async () => {
    const root = await tempDir()
    const src = await tempDir()
    const files: Record<string, string> = {}
    for (let d = 0; d < 20; d++) for (let f = 0; f < 60; f++) files[`d${d}/f${f}`] = `${d}.${f}\n`
    await writeTree(src, files)
    const { server, port } = await startServe(root, { openFiles: 64 })
    running.push(server)
    const clients = [1, 2, 3, 4].map((i) =>
      runCli(['sync', src, `grpc://127.0.0.1:${port}/c${i}`, '--no-state', '-q', '--concurrency', '32']),
    )
    for (const r of await Promise.all(clients)) {
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
    }
    const served = await readTree(root)
    for (const i of [1, 2, 3, 4]) {
      expect(Object.keys(served).filter((p) => p.startsWith(`c${i}/`))).toHaveLength(1200)
    }
  }, 120_000)
})
