import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer } from '../src/index.js'
import { selfSignedCert, startTestServer } from './helpers.js'

// What `syncflow serve` says when it cannot start: the cause and what to do, once, in its own words.

const BIN = fileURLToPath(new URL('../../cli-tui/dist/bin.js', import.meta.url))
let tmp: string
let pem: { cert: string; key: string; otherKey: string }

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'serve-errors-'))
  selfSignedCert(tmp, 'key.pem', 'cert.pem')
  selfSignedCert(tmp, 'other-key.pem', 'other-cert.pem')
  pem = { cert: join(tmp, 'cert.pem'), key: join(tmp, 'key.pem'), otherKey: join(tmp, 'other-key.pem') }
})

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true })
})

/** Runs `syncflow serve …` to its exit (it exits at once when it cannot start). */
function serve(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--root', tmp, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, GRPC_VERBOSITY: undefined },
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr += d
  })
  // 'close', not 'exit': the last chunk of stderr can come after the exit.
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })))
}

describe('startServer with an unusable TLS certificate and key', () => {
  it('swapped files: USAGE naming the swap, before listening', async () => {
    const err = await startServer({
      root: tmp,
      listen: '127.0.0.1:0',
      tlsCert: await readFile(pem.key),
      tlsKey: await readFile(pem.cert),
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'USAGE' })
    expect(String(err)).toMatch(/swapped/)
    expect((err as { hint?: string }).hint).not.toMatch(/port/i)
  })

  it('a key of another certificate: USAGE saying the key does not belong to the certificate', async () => {
    const err = await startServer({
      root: tmp,
      listen: '127.0.0.1:0',
      tlsCert: await readFile(pem.cert),
      tlsKey: await readFile(pem.otherKey),
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'USAGE' })
    expect(String(err)).toMatch(/not the private key of the certificate/)
  })

  it("a chain whose first certificate is not the key's (the intermediate pasted first): USAGE saying to reorder", async () => {
    // QA 30a #7: "not the private key of the certificate" sent the user looking for another key.
    const err = await startServer({
      root: tmp,
      listen: '127.0.0.1:0',
      tlsCert: Buffer.concat([await readFile(join(tmp, 'other-cert.pem')), await readFile(pem.cert)]),
      tlsKey: await readFile(pem.key),
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'USAGE' })
    expect(String(err)).toMatch(
      /does not begin with the certificate of .*: the server's own certificate must come first/,
    )
    expect((err as { hint?: string }).hint).toMatch(/Reorder/)
    // A key of none of them is still said to be another key.
    const other = await startServer({
      root: tmp,
      listen: '127.0.0.1:0',
      tlsCert: Buffer.concat([await readFile(pem.cert), await readFile(pem.cert)]),
      tlsKey: await readFile(pem.otherKey),
    }).catch((e: unknown) => e)
    expect(String(other)).toMatch(/not the private key of the certificate/)
  })

  it('a file that is not PEM at all', async () => {
    const err = await startServer({
      root: tmp,
      listen: '127.0.0.1:0',
      tlsCert: Buffer.from('hello'),
      tlsKey: await readFile(pem.key),
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'USAGE' })
    expect(String(err)).toMatch(/not a PEM certificate/)
  })
})

describe('the syncflow serve binary, when it cannot start', () => {
  it('--tls-cert KEY --tls-key CERT: exit 2, says the files are swapped (not to pick a port)', async (ctx) => {
    if (!existsSync(BIN)) ctx.skip('the CLI is not built (npm run build)')
    const r = await serve(['--listen', '127.0.0.1:0', '--tls-cert', pem.key, '--tls-key', pem.cert])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`--tls-cert ${pem.key} is a private key and --tls-key ${pem.cert} a certificate`)
    expect(r.stderr).toMatch(/swapped/)
    expect(r.stderr).not.toMatch(/port|PEM routines/i)
  })

  it('a port in use: exit 2, one message of ours, no log line of the gRPC library', async (ctx) => {
    if (!existsSync(BIN)) ctx.skip('the CLI is not built (npm run build)')
    const busy = await startTestServer()
    try {
      const r = await serve(['--listen', `127.0.0.1:${busy.server.port}`])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+: the port is in use/)
      expect(r.stderr).not.toMatch(/No address added/)
      // One message of ours (and its hint); no line logged by grpc-js itself ("E …").
      expect(r.stderr.match(/cannot listen/g)).toHaveLength(1)
      expect(r.stderr).not.toMatch(/^[EWID] /m)
    } finally {
      await busy.stop()
    }
  })
})
