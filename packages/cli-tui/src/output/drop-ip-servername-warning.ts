/**
 * Keeps Node's DEP0123 warning ("Setting the TLS ServerName to an IP address is not permitted by
 * RFC 6066") off the user's terminal. gRPC sets the TLS server name to the host of the URI, so every
 * `grpcs://10.0.0.5:8730/…` run printed it, although nothing is wrong: the certificate is still
 * checked against that IP address, and the user can do nothing about it. Every other warning is
 * emitted as before. Returns the function that restores `process.emitWarning`.
 */
export function dropIpServernameWarning(proc: NodeJS.Process = process): () => void {
  const emitWarning = proc.emitWarning
  const filtered = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    const [typeOrOptions, code] = rest
    const warningCode =
      typeof typeOrOptions === 'object' && typeOrOptions !== null
        ? (typeOrOptions as { code?: unknown }).code
        : (code ?? (warning as { code?: unknown }).code)
    if (warningCode === 'DEP0123') return
    ;(emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest)
  }
  proc.emitWarning = filtered as NodeJS.Process['emitWarning']
  return () => {
    if (proc.emitWarning === filtered) proc.emitWarning = emitWarning
  }
}
