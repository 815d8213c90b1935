import { SyncError, toRelPath } from '@syncflow/core'

/** The port `grpc://host/` means when none is given. */
export const DEFAULT_PORT = 8730

/** A parsed `grpc://host:port/path` location. */
export interface GrpcLocation {
  readonly tls: boolean
  /** `host:port` as gRPC dials it (IPv6 in brackets). */
  readonly target: string
  /** The directory below the server's root (`''` = the root). */
  readonly root: string
  /** The location written back normalized. */
  readonly uri: string
}

/**
 * Parses `grpc://host:port/path` (or `grpcs://` for TLS); `path` is a directory below the served
 * root, percent-decoded and validated like every RelPath. USAGE errors say what is expected.
 */
export function parseGrpcUri(uri: string): GrpcLocation {
  // The URL parser drops tabs and line breaks anywhere (`.<TAB>.` became `..`, and resolved away:
  // review 23b B3): a location holding one is a mistake.
  if (/[\t\n\r]/.test(uri)) throw usage(uri, 'a tab or line break in the location')
  let url: URL
  try {
    url = new URL(uri)
  } catch (err) {
    throw usage(uri, 'not a URL', err)
  }
  const scheme = url.protocol.slice(0, -1)
  if (scheme !== 'grpc' && scheme !== 'grpcs') throw usage(uri, `scheme ${scheme}:// is not grpc:// or grpcs://`)
  if (url.hostname === '') throw usage(uri, 'no host')
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw usage(uri, 'credentials, query and fragment are not allowed (pass the token with --token)')
  }
  // The URL parser resolves `.` and `..` away (`grpc://h/data/..` is the served root itself, which a
  // mirror then empties of all else): refused as an s3:// location's are (QA 23 #9).
  const rawPath = uri.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').replace(/[?#].*$/, '')
  const dots = rawPath.split('/').find((s) => {
    const segment = safeDecode(s)
    return segment === '.' || segment === '..'
  })
  if (dots !== undefined) throw usage(uri, `a path segment ${JSON.stringify(safeDecode(dots))} is not allowed`)
  const port = url.port === '' ? DEFAULT_PORT : Number(url.port)
  const segments = url.pathname.split('/').filter((s) => s !== '')
  let root = ''
  if (segments.length > 0) {
    try {
      root = toRelPath(segments.map((s) => decodeURIComponent(s)).join('/'), 'remote directory')
    } catch (err) {
      throw usage(uri, (err as Error).message, err)
    }
  }
  const target = `${url.hostname}:${port}`
  const path = root === '' ? '/' : `/${root.split('/').map(encodeURIComponent).join('/')}/`
  return { tls: scheme === 'grpcs', target, root, uri: `${scheme}://${target}${path}` }
}

/** A percent-decoded path segment, or the segment itself where it does not decode. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function usage(uri: string, why: string, cause?: unknown): SyncError {
  // Without what is before an `@` in the authority: a token put there (grpc://TOKEN@host/, as
  // some tools take one) was printed back whole, into terminals, CI logs and --json output.
  const shown = uri.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1…@')
  return new SyncError('USAGE', `${JSON.stringify(shown)}: ${why}`, {
    hint: 'Write a remote location as grpc://HOST:PORT/DIR (grpcs:// for TLS), DIR below the server --root.',
    ...(cause !== undefined ? { cause } : {}),
  })
}
