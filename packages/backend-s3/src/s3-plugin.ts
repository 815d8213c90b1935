import type { BackendPlugin, OpenOptions } from '@syncflow/core'
import { parseS3Uri } from './parse-s3-uri.js'
import { S3Backend } from './s3-backend.js'

/**
 * The `s3://bucket/prefix` plugin. Registers nothing at import time (`registerBackend(s3Backend)`
 * does). Reads these `OpenOptions`: `s3Endpoint` (the CLI's `--s3-endpoint`: an S3-compatible
 * service, which then uses path-style URLs), `s3StorageClass` (`--s3-storage-class`: the class of
 * the objects it writes), `dryRun` (no clean-up writes), `connectTimeoutMs`
 * (`--contimeout`) and `ioTimeoutMs` (`--timeout`; see S3ConnectionOptions). Everything else
 * comes from the standard AWS configuration (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_S3, …).
 */
export const s3Backend: BackendPlugin = {
  name: 's3',
  schemes: ['s3'],
  async open(uri: string, options: OpenOptions = {}): Promise<S3Backend> {
    const endpoint = typeof options.s3Endpoint === 'string' && options.s3Endpoint ? options.s3Endpoint : undefined
    const ms = (key: string): number | undefined => {
      const value = options[key]
      return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined
    }
    const connectTimeoutMs = ms('connectTimeoutMs')
    const ioTimeoutMs = ms('ioTimeoutMs')
    const storageClass = typeof options.s3StorageClass === 'string' ? options.s3StorageClass : undefined
    return new S3Backend(parseS3Uri(uri), {
      ...(storageClass ? { storageClass } : {}),
      ...(endpoint ? { endpoint } : {}),
      ...(options.dryRun === true ? { dryRun: true } : {}),
      ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
      ...(ioTimeoutMs !== undefined ? { ioTimeoutMs } : {}),
    })
  },
}
