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
import { refusingPort } from './refusing-port.js'

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

  it('plain grpc:// to a TLS server is a USAGE error saying to use grpcs://, in one line, not retried', async () => {
    const err = await createGrpcBackend({
      uri: `grpc://localhost:${srv.server.port}/`,
      token: 't',
      timeoutMs: 5000,
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'USAGE', retryable: false })
    expect(String(err)).toMatch(/speaks TLS: use grpcs:\/\/ instead of grpc:\/\//)
    expect(String(err)).not.toContain('\n')
    expect((err as { hint?: string }).hint).toMatch(/grpcs:\/\/.*--tls-cert/)
  })

  it('a port nobody listens on stays TRANSIENT (the TLS question finds no server)', async () => {
    const nobody = await refusingPort()
    try {
      const err = await createGrpcBackend({ uri: `grpc://127.0.0.1:${nobody.port}/`, timeoutMs: 5000 }).catch(
        (e: unknown) => e,
      )
      expect(err).toMatchObject({ code: 'TRANSIENT', message: expect.stringContaining('connection refused') })
      expect(String(err)).not.toMatch(/speaks TLS/)
    } finally {
      await nobody.close()
    }
  })

  it('a CA file with grpc:// is a USAGE error', async () => {
    await expect(
      createGrpcBackend({ uri: `grpc://localhost:${srv.server.port}/`, caFile: certs.ca }),
    ).rejects.toMatchObject({ code: 'USAGE' })
  })
})

const BIN = fileURLToPath(new URL('../../cli-tui/dist/bin.js', import.meta.url))

/** Runs the built CLI; its exit code and stderr. */
async function cli(...args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr += d
  })
  // 'close', not 'exit': the last chunk of stderr can come after the exit.
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, stderr }
}

describe('grpc:// to a server with TLS, through the CLI', () => {
  it('sync exits 2 at once with one line saying to use grpcs://, and writes nothing', async (ctx) => {
    if (!existsSync(BIN)) ctx.skip('the CLI is not built (npm run build)')
    const src = await mkdtemp(join(tmpdir(), 'grpc-tls-src-'))
    try {
      await writeFile(join(src, 'a.txt'), 'a')
      const { code, stderr } = await cli(
        'sync',
        src,
        `grpc://127.0.0.1:${srv.server.port}/plain`,
        '--token',
        't',
        '--no-state',
      )
      expect(code).toBe(2)
      const lines = stderr.split('\n').filter((l) => /speaks TLS/.test(l))
      expect(lines).toEqual([
        expect.stringMatching(/^syncflow: USAGE: .*the server speaks TLS: use grpcs:\/\/ instead of grpc:\/\/$/),
      ])
      expect(stderr).not.toMatch(/TRANSIENT|retr(y|ied)|Failed to connect|\bat .*\.js:\d+/)
      expect(existsSync(join(srv.dir, 'plain'))).toBe(false)
    } finally {
      await rm(src, { recursive: true, force: true })
    }
  })
})

describe('grpcs:// to a server without TLS', () => {
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
      const { code, stderr } = await cli('ls', `grpcs://127.0.0.1:${plain.server.port}/`)
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
