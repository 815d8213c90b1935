/**
 * Whether the server at `target` (`host:port`, IPv6 in brackets) completes a TLS handshake. Asked
 * only after a grpc:// Hello failed to connect: grpc-js reports a plain client meeting a TLS server
 * as a bare "Failed to connect", the same as any other failure. The certificate is not checked (the
 * question is only whether the server speaks TLS); nothing is sent after the handshake. False on
 * any error or after `timeoutMs`.
 */
export async function speaksTls(target: string, timeoutMs = 3000): Promise<boolean> {
  const colon = target.lastIndexOf(':')
  const host = target.slice(0, colon).replace(/^\[(.*)\]$/, '$1')
  const port = Number(target.slice(colon + 1))
  const { connect } = await import('node:tls')
  return new Promise<boolean>((resolve) => {
    // HTTP/1.1 offered too: a server without HTTP/2 refuses a handshake offering h2 alone (an
    // alert, no TLS) and was then not seen to speak TLS (helper-42's note on QA 8 #8).
    const socket = connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] })
    const done = (tls: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(tls)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    socket.once('secureConnect', () => done(true))
    socket.once('error', () => done(false))
    socket.once('close', () => done(false))
  })
}
