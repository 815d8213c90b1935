// The throw-away Redis and PostgreSQL of the core tests start on a port picked free, which another
// process (another test run's server, on a shared machine) may take before the server binds it.
import { createServer, type Server as NetServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { stateServerEnv } from './state-server-env.js'
import { freePort, SERVERS, startServer } from './state-servers-global-setup.js'

const listening: NetServer[] = []
afterEach(async () => {
  await Promise.all(listening.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

/** A port this process holds (taking connections and closing them), as another program would. */
async function takenPort(): Promise<number> {
  const server = createServer((socket) => socket.destroy())
  listening.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

/** Gives `taken` first, then free ports. */
function takenFirst(...taken: number[]): () => Promise<number> {
  return async () => taken.shift() ?? freePort()
}

for (const s of SERVERS) {
  const env = stateServerEnv(s.name)
  // Only where the global setup started one with the same script: it can be installed and run here.
  const why = !env.available ? env.reason : process.env[s.urlVar] ? `${s.urlVar} is given` : undefined
  describe.skipIf(why !== undefined)(`the test ${s.name} server${why ? ` (skipped: ${why})` : ''}`, () => {
    it('starts on another port when the one picked was taken before it bound it', async () => {
      const taken = [await takenPort()]
      // For Redis, also a port where another Redis answers (this run's own): a PING there is no sign
      // that the server just started is up.
      if (s.name === 'redis' && env.available) taken.unshift(Number(new URL(env.url).port))
      const started = await startServer(s, takenFirst(...taken))
      try {
        expect(started.env.available).toBe(true)
        const url = started.env.available ? started.env.url : ''
        expect(taken).not.toContain(Number(new URL(url).port))
      } finally {
        await started.stop()
      }
    }, 120_000)
  })
}
