import { type BackendPlugin, type OpenOptions, SyncError } from '@syncflow/core'
import { createGrpcBackend, type GrpcBackendOptions, type SymlinkPolicy } from './grpc-backend.js'

function optional<T>(options: OpenOptions, key: string, type: 'string' | 'boolean' | 'number'): T | undefined {
  const value = options[key]
  if (value === undefined) return undefined
  if (typeof value !== type) {
    throw new SyncError('USAGE', `option ${key} must be a ${type}, got ${JSON.stringify(value)}`, {
      hint: `Check the ${key} setting in the command line or config file.`,
    })
  }
  return value as T
}

/**
 * The `grpc://` / `grpcs://` plugin. Open options read: `token`, `tokenFile`, `caFile`,
 * `compress`, `blockSize`, `maxMessageBytes`, `timeoutMs`, `ioTimeoutMs` (the CLI's `--timeout`),
 * `connectTimeoutMs` (`--contimeout`), `symlinks`, `privateDirs` (see `GrpcBackendOptions`).
 * Registers nothing at import time; the gRPC SDK loads on the first `open`.
 */
export const grpcBackend: BackendPlugin = {
  name: 'grpc',
  schemes: ['grpc', 'grpcs'],
  async open(uri, options) {
    const token = optional<string>(options, 'token', 'string')
    const tokenFile = optional<string>(options, 'tokenFile', 'string')
    const caFile = optional<string>(options, 'caFile', 'string')
    const compress = optional<boolean>(options, 'compress', 'boolean')
    const blockSize = optional<number>(options, 'blockSize', 'number')
    const maxMessageBytes = optional<number>(options, 'maxMessageBytes', 'number')
    const timeoutMs = optional<number>(options, 'timeoutMs', 'number')
    const ioTimeoutMs = optional<number>(options, 'ioTimeoutMs', 'number')
    const connectTimeoutMs = optional<number>(options, 'connectTimeoutMs', 'number')
    const symlinks = optional<SymlinkPolicy>(options, 'symlinks', 'string')
    const privateDirs = optional<boolean>(options, 'privateDirs', 'boolean')
    const o: GrpcBackendOptions = {
      uri,
      ...(token !== undefined ? { token } : {}),
      ...(tokenFile !== undefined ? { tokenFile } : {}),
      ...(caFile !== undefined ? { caFile } : {}),
      ...(compress !== undefined ? { compress } : {}),
      ...(blockSize !== undefined ? { blockSize } : {}),
      ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(ioTimeoutMs !== undefined ? { ioTimeoutMs } : {}),
      ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
      ...(symlinks !== undefined ? { symlinks } : {}),
      ...(privateDirs !== undefined ? { privateDirs } : {}),
    }
    return createGrpcBackend(o)
  },
}
