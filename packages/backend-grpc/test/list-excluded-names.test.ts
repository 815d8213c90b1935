import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type SyncError, SyncError as SyncErrorClass } from '@syncflow/core'
import { expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { startTestServer } from './helpers.js'

it('a name the server cannot list is reported with a hint, and skipped without a word when the filters exclude it', async () => {
  const { server, dir, stop } = await startTestServer()
  try {
    await writeFile(join(dir, 'tab\there.txt'), 'x')
    await writeFile(join(dir, 'ok.txt'), 'y')
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${server.port}/` })
    const listed = async (excluded?: (name: string) => boolean) => {
      const errors: SyncError[] = []
      const paths: string[] = []
      for await (const e of b.list({ onError: (err) => errors.push(err), ...(excluded ? { excluded } : {}) })) {
        paths.push(e.path)
      }
      return { errors, paths }
    }
    const plain = await listed()
    expect(plain.paths).toEqual(['ok.txt'])
    expect(plain.errors.map((e) => [e.code, e.path])).toEqual([['INVALID_PATH', 'tab\there.txt']])
    expect(plain.errors[0]).toBeInstanceOf(SyncErrorClass)
    expect(plain.errors[0]?.hint).toContain('--exclude')
    const filtered = await listed((name) => name.startsWith('tab'))
    expect(filtered).toEqual({ errors: [], paths: ['ok.txt'] })
    await b.close()
  } finally {
    await stop()
  }
})
