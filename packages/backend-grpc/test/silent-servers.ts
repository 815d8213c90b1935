import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { connect, createServer, type Socket } from 'node:net'

// Addresses where nothing answers, on 127.0.0.1, for connection and I/O timeouts (`--contimeout`,
// `--timeout`): no real server, and no dependence on the network around the test machine.

/** An address that accepts TCP connections and never sends a byte (a hung server, a wrong port). */
export async function startSilentListener(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/**
 * An address whose connections are never made, as behind a firewall that drops packets: a port
 * whose listener (a stopped process that never accepts) has a full accept queue, so Linux drops
 * every further SYN and `connect` waits, unanswered.
 */
export async function startBlackhole(): Promise<{ port: number; close: () => Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '-e',
      "const s = require('node:net').createServer(); s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => console.log(s.address().port))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  // Its whole first line: a chunk may hold only part of it (a port of 5 digits read as 2).
  let out = ''
  for await (const chunk of child.stdout!) {
    out += chunk
    if (out.includes('\n')) break
  }
  const port = Number(out.split('\n')[0])
  if (!Number.isInteger(port) || port <= 0)
    throw new Error(`the blackhole listener said no port: ${JSON.stringify(out)}`)
  child.kill('SIGSTOP')
  // Connections until one is not made: the queue is full from then on.
  const fillers: Socket[] = []
  for (let i = 0; i < 64; i++) {
    const s = connect(port, '127.0.0.1')
    s.on('error', () => {})
    fillers.push(s)
    const made = await new Promise<boolean>((resolve) => {
      // A SYN answered on loopback takes well under a millisecond. The timer runs before the poll
      // phase that would report the connection: on a loaded machine, with the event loop held up
      // longer than the timer, a connection made would be taken for one refused (the queue not
      // full, the "blackhole" then accepting). setImmediate runs after that poll phase.
      const timer = setTimeout(() => setImmediate(() => resolve(false)), 300)
      s.once('connect', () => {
        clearTimeout(timer)
        resolve(true)
      })
    })
    if (!made) break
  }
  return {
    port,
    close: async () => {
      for (const s of fillers) s.destroy()
      child.kill('SIGKILL')
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit')
    },
  }
}
