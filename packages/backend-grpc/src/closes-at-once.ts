/**
 * Whether the server at `target` (`host:port`, IPv6 in brackets) accepts a TCP connection and closes
 * it at once, before the client has said anything: what a `syncflow serve` with all the connections
 * it takes does (`net.Server.maxConnections` closes each further one as it is accepted), and one
 * that is stopping. A server with room waits for the client's HTTP/2 preface, so a connection still
 * open after `waitMs` (or one refused, or any other error) is false. Asked only after a grpc:// Hello
 * failed with grpc-js's bare "Failed to connect", which says nothing of why (QA 31g #1).
 */
export async function closesAtOnce(target: string, waitMs = 1000): Promise<boolean> {
  const colon = target.lastIndexOf(':')
  const host = target.slice(0, colon).replace(/^\[(.*)\]$/, '$1')
  const port = Number(target.slice(colon + 1))
  const { connect } = await import('node:net')
  return new Promise<boolean>((resolve) => {
    let connected = false
    const socket = connect({ host, port })
    const done = (closed: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(closed)
    }
    const timer = setTimeout(() => done(false), waitMs + 3000)
    socket.once('connect', () => {
      connected = true
      clearTimeout(timer)
      setTimeout(() => done(false), waitMs)
    })
    // An accepted connection the server closes (a FIN, or a reset as it is destroyed).
    socket.once('end', () => done(connected))
    socket.once('error', () => done(connected))
    socket.once('close', () => done(connected))
    socket.on('data', () => done(false))
  })
}
