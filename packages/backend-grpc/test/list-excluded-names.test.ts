import { execFileSync } from 'node:child_process'
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

it('a served path too long for the server system gets the PATH_MAX hint, not "rename it"', async () => {
  const { server, dir, stop } = await startTestServer()
  try {
    // 17 levels of 250-character names: the full path passes PATH_MAX (4096) on the server. Made
    // one relative step at a time, as only a shell (cd) can.
    const names = Array.from({ length: 17 }, (_, i) => String(i).padStart(250, '0'))
    execFileSync('bash', ['-c', names.map((n) => `mkdir ${n} && cd ${n}`).join(' && ')], { cwd: dir })
    await writeFile(join(dir, 'ok.txt'), 'y')
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${server.port}/` })
    const errors: SyncError[] = []
    for await (const _ of b.list({ onError: (err) => errors.push(err) })) {
      // drain
    }
    expect(errors.length).toBeGreaterThan(0)
    expect(errors[0]?.message).toContain('ENAMETOOLONG')
    expect(errors[0]?.hint).toContain('PATH_MAX')
    await b.close()
  } finally {
    // Node's rm cannot go that deep (ENAMETOOLONG); GNU rm walks down relative to each directory.
    execFileSync('rm', ['-rf', String(0).padStart(250, '0')], { cwd: dir })
    await stop()
  }
})
