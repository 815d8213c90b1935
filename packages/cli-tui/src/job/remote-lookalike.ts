import { SyncError } from '@syncflow/core'

/** `NAME:REST` without `//` after the colon; NAME has no `/` (a path with a colon further on is a path). */
const NAME_COLON = /^([^/:]{2,}):(?!\/\/)(.*)$/s

/**
 * A location that reads as a path but looks like a remote one: `grpc:/host:port/dir` (a slash
 * missing), `host:port/dir`, or rsync's `host:path`. Taken as a local path, it would quietly make
 * a directory named `grpc:` or `host` here and sync into it, exit 0, while the user believes the
 * files went to the server (QA). syncflow's remote locations are URIs (`grpc://…`, `s3://…`); a
 * local path with such a colon is written `./name:…`. (One letter before the colon is left alone:
 * a Windows drive, `C:/x`.) Undefined when `uri` is not such a location.
 */
export function remoteLookalike(uri: string, isScheme: (name: string) => boolean): SyncError | undefined {
  const m = NAME_COLON.exec(uri)
  if (m === null) return undefined
  const name = m[1] as string
  const rest = m[2] as string
  const local = `./${uri}`
  if (isScheme(name.toLowerCase())) {
    // A file URI's path is absolute: file:/tmp/x is file:///tmp/x (QA 20 F6: file://tmp/x was advised,
    // then refused); a host's is not (grpc:/host:1/x is grpc://host:1/x).
    // A relative one (file:./x) is advised as the plain path (QA 21 F7: file:///./x is /x).
    const file = name.toLowerCase() === 'file'
    const fixed = file && !rest.startsWith('/') ? rest : `${name}://${file ? '/' : ''}${rest.replace(/^\/+/, '')}`
    return new SyncError('USAGE', `location ${JSON.stringify(uri)} looks like a ${name}:// URI with a slash missing`, {
      hint: `Write ${fixed}; for a local directory of that name, write ${local}.`,
    })
  }
  if (/^\d+(\/|$)/.test(rest)) {
    return new SyncError('USAGE', `location ${JSON.stringify(uri)} looks like HOST:PORT, not a local path`, {
      hint: `A syncflow server is reached as grpc://${uri} (or grpcs://); for a local directory of that name, write ${local}.`,
    })
  }
  return new SyncError(
    'USAGE',
    `location ${JSON.stringify(uri)} looks like rsync's HOST:PATH (or rclone's REMOTE:PATH), which syncflow does not have`,
    {
      // An rclone user's `remote:bucket/x` was answered as an rsync host only (QA 32a).
      hint: `Run \`syncflow serve\` on that host and use grpc://HOST:PORT/PATH; an S3 bucket is s3://BUCKET/PREFIX (--s3-endpoint for another service than AWS); for a local directory of that name, write ${local}.`,
    },
  )
}
