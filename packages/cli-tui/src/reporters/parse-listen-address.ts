/** A host and port to listen on. */
export interface ListenAddress {
  readonly host: string
  readonly port: number
}

/**
 * Parses `--metrics HOST:PORT` (`127.0.0.1:9464`, `[::1]:9464`, `:9464` = all interfaces, or a bare
 * `9464` = 127.0.0.1; port 0 = any free port). Throws an Error whose message says what to write instead.
 */
export function parseListenAddress(value: string): ListenAddress {
  const bare = /^\d+$/.test(value)
  const m = bare ? undefined : /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(value)
  const port = Number(bare ? value : m?.[3])
  if ((!bare && !m) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`"${value}" is not HOST:PORT; write e.g. 127.0.0.1:9464, [::1]:9464 or :9464 (all interfaces)`)
  }
  const host = bare ? '127.0.0.1' : (m?.[1] ?? (m?.[2] || '0.0.0.0'))
  return { host, port }
}
