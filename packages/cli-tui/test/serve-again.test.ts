import { type AddressInfo, createServer } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, killedAfterEach, serveAgain, tempDir } from './helpers/cli.js'

// A test that restarts `syncflow serve` on its port (the same address is the point) found the port
// held a moment by another process now and then: its restart is tried again until it listens.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

it('serveAgain starts serve on a port held by another process once it is let go', async () => {
  const holder = createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  const port = (holder.address() as AddressInfo).port
  const again = serveAgain(await tempDir(), port, running)
  again.catch(() => {})
  // Refused at least once while held, then let go.
  await expect
    .poll(() => running.some((r) => r.closed() && /the port is in use/.test(r.stderr())), { timeout: 20_000 })
    .toBe(true)
  holder.close()
  const server = await again
  expect(server.stderr()).toMatch(new RegExp(`serving .* at grpc://127\\.0\\.0\\.1:${port}/`))
})
