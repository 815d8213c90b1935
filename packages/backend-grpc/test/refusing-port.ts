import { once } from 'node:events'
import { connect, createServer, type Socket } from 'node:net'

/**
 * A loopback port where nothing listens, and nothing can listen while it is held: the local end of
 * a connection of this process's own (a port once freed, as a stopped server's, is anyone's, and
 * another process's listener on port 0 may take it before the test connects). A connection to it is
 * refused (ECONNREFUSED), as to a server that is not running. `close` lets it go.
 */
export async function refusingPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const accepted: Socket[] = []
  const listener = createServer((s) => accepted.push(s))
  listener.listen(0, '127.0.0.1')
  await once(listener, 'listening')
  const address = listener.address()
  const client = connect(typeof address === 'object' && address ? address.port : 0, '127.0.0.1')
  await once(client, 'connect')
  const port = client.localPort
  if (port === undefined) throw new Error('the connection has no local port')
  return {
    port,
    close: async () => {
      client.destroy()
      for (const s of accepted) s.destroy()
      await new Promise<void>((resolve) => listener.close(() => resolve()))
    },
  }
}
