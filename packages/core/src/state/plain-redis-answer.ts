import { connect } from 'node:net'

/** How long a connected server is given to answer the PING. */
const ANSWER_WAIT_MS = 1000

/**
 * How the server a `rediss://` location names answers a plain (non-TLS) Redis `PING`: `plain`
 * when it answers in Redis's protocol (`+PONG`, `-NOAUTH …`): it does not speak TLS there;
 * `no-connection` when no connection was made within `timeoutMs` (a firewall that drops it);
 * `other` for anything else (a TLS server's alert or close, a refused connection, an unknown
 * host): left to the open to say. Nothing else is sent.
 */
export function plainRedisAnswer(location: string, timeoutMs: number): Promise<'plain' | 'no-connection' | 'other'> {
  let url: URL
  try {
    url = new URL(location)
  } catch {
    return Promise.resolve('other')
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1'
  const port = Number(url.port || 6379)
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    let connected = false
    const done = (answer: 'plain' | 'no-connection' | 'other') => {
      clearTimeout(timer)
      socket.destroy()
      resolve(answer)
    }
    let timer = setTimeout(() => done(connected ? 'other' : 'no-connection'), timeoutMs)
    socket.once('connect', () => {
      connected = true
      socket.write('PING\r\n')
      // A plain Redis answers at once; a TLS server that waits for more than this non-handshake
      // (most send an alert and close) must not hold every rediss:// open for the whole timeout.
      clearTimeout(timer)
      timer = setTimeout(() => done('other'), Math.min(timeoutMs, ANSWER_WAIT_MS))
    })
    // A RESP reply starts with one of these; a TLS alert with 0x15.
    socket.once('data', (data: Buffer) => done(/^[+\-$*:]/.test(data.toString('latin1', 0, 1)) ? 'plain' : 'other'))
    socket.once('error', () => done('other'))
    socket.once('close', () => done('other'))
  })
}
