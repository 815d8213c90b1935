import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { RelPath } from '@syncflow/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { startTestServer } from './helpers.js'

let srv: Awaited<ReturnType<typeof startTestServer>>
let tmp: string

// A throw-away CA and a server certificate for localhost / 127.0.0.1, made with openssl.
async function makeCerts(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=syncflow test CA',
  )
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost')
  await writeFile(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  )
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') }
}

let certs: { ca: string; cert: string; key: string }

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'grpc-tls-'))
  certs = await makeCerts(tmp)
  srv = await startTestServer({
    tlsCert: await readFile(certs.cert),
    tlsKey: await readFile(certs.key),
    token: 't',
  })
})

afterAll(async () => {
  await srv?.stop()
  await rm(tmp, { recursive: true, force: true })
})

describe('TLS', () => {
  it('grpcs:// with the CA file works end to end', async () => {
    const b = await createGrpcBackend({ uri: `grpcs://localhost:${srv.server.port}/sub`, caFile: certs.ca, token: 't' })
    expect(srv.server.tls).toBe(true)
    await b.write('a.txt' as RelPath, Readable.from([Buffer.from('over TLS')]), { mtimeMs: 1_700_000_000_000 })
    expect(await readFile(join(srv.dir, 'sub/a.txt'), 'utf8')).toBe('over TLS')
    await b.close()
  })

  it('an untrusted certificate fails with AUTH, saying to pass the CA', async () => {
    const err = await createGrpcBackend({
      uri: `grpcs://localhost:${srv.server.port}/`,
      token: 't',
      timeoutMs: 5000,
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'AUTH' })
    expect(String(err)).toMatch(/certificate/i)
    expect((err as { hint?: string }).hint).toMatch(/--ca-file/)
  })

  it('plain grpc:// to a TLS server fails', async () => {
    await expect(
      createGrpcBackend({ uri: `grpc://localhost:${srv.server.port}/`, token: 't', timeoutMs: 5000 }),
    ).rejects.toMatchObject({ code: 'TRANSIENT' })
  })

  it('a CA file with grpc:// is a USAGE error', async () => {
    await expect(
      createGrpcBackend({ uri: `grpc://localhost:${srv.server.port}/`, caFile: certs.ca }),
    ).rejects.toMatchObject({ code: 'USAGE' })
  })
})

describe('grpcs:// to a server without TLS', () => {
  const BIN = fileURLToPath(new URL('../../cli-tui/dist/bin.js', import.meta.url))

  it('is a USAGE error saying to use grpc://, in one line, not an untrusted certificate', async () => {
    const plain = await startTestServer()
    try {
      const err = await createGrpcBackend({ uri: `grpcs://127.0.0.1:${plain.server.port}/`, timeoutMs: 5000 }).catch(
        (e: unknown) => e,
      )
      expect(err).toMatchObject({ code: 'USAGE' })
      expect(String(err)).toMatch(/does not speak TLS: use grpc:\/\//)
      expect(String(err)).not.toContain('\n')
      expect((err as { hint?: string }).hint).toMatch(/grpc:\/\//)
      expect((err as { hint?: string }).hint).not.toMatch(/--ca-file|trusted/)
    } finally {
      await plain.stop()
    }
  })

  it('the CLI exits 2 with that one message', async (ctx) => {
    if (!existsSync(BIN)) ctx.skip('the CLI is not built (npm run build)')
    const plain = await startTestServer()
    try {
      const child = spawn(process.execPath, [BIN, 'ls', `grpcs://127.0.0.1:${plain.server.port}/`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stderr = ''
      child.stderr.on('data', (d: Buffer) => {
        stderr += d
      })
      const code = await new Promise((resolve) => child.on('exit', resolve))
      expect(code).toBe(2)
      // One message, on one line (OpenSSL's text and its lone '.' line gone), and its hint.
      const lines = stderr.split('\n').filter((l) => /does not speak TLS/.test(l))
      expect(lines).toEqual([
        expect.stringMatching(/^syncflow: USAGE: .*does not speak TLS: use grpc:\/\/ instead of grpcs:\/\/$/),
      ])
      expect(stderr).not.toMatch(/^\.$/m)
      expect(stderr).not.toMatch(/SSL routines|not trusted/)
    } finally {
      await plain.stop()
    }
  })
})
