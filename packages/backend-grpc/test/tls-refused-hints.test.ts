import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { selfSignedCert, startTestServer } from './helpers.js'

// QA 30a #1: a certificate refused because it has expired, or because it does not name the host in
// the location, was met with the hint of an unknown CA ("pass the CA that signed it with
// --ca-file"), even when the right --ca-file was given.

let tmp: string
let ca: string

/** `openssl` in the temp directory. */
function run(...args: string[]): void {
  execFileSync('openssl', args, { cwd: tmp, stdio: 'pipe' })
}

/**
 * A server certificate signed by the test CA with the given names and dates (`openssl ca`, the one
 * command of OpenSSL 3.0 that takes a start and an end date).
 */
async function certificate(
  name: string,
  san: string,
  start: string,
  end: string,
): Promise<{ cert: Buffer; key: Buffer }> {
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=server')
  await writeFile(join(tmp, `${name}.ext`), `subjectAltName=${san}\n`)
  run(
    'ca',
    '-batch',
    '-config',
    'ca.cnf',
    '-in',
    `${name}.csr`,
    '-out',
    `${name}.pem`,
    '-extfile',
    `${name}.ext`,
    '-startdate',
    start,
    '-enddate',
    end,
  )
  return { cert: await readFile(join(tmp, `${name}.pem`)), key: await readFile(join(tmp, `${name}.key`)) }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'grpc-tls-hints-'))
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
    '/CN=test CA',
  )
  await writeFile(join(tmp, 'index.txt'), '')
  await writeFile(join(tmp, 'serial'), '1000\n')
  await writeFile(
    join(tmp, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = d',
      '[d]',
      `database = ${join(tmp, 'index.txt')}`,
      `serial = ${join(tmp, 'serial')}`,
      `new_certs_dir = ${tmp}`,
      `certificate = ${join(tmp, 'ca.pem')}`,
      `private_key = ${join(tmp, 'ca.key')}`,
      'default_md = sha256',
      'policy = p',
      'unique_subject = no',
      '[p]',
      'commonName = supplied',
      '',
    ].join('\n'),
  )
  ca = join(tmp, 'ca.pem')
})

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

/** What opening grpcs://127.0.0.1 on a server with this certificate fails with, the CA given. */
async function refusal(tls: { cert: Buffer; key: Buffer }): Promise<{ code?: string; message: string; hint?: string }> {
  const srv = await startTestServer({ tlsCert: tls.cert, tlsKey: tls.key, token: 't' })
  try {
    const err = await createGrpcBackend({
      uri: `grpcs://127.0.0.1:${srv.server.port}/`,
      caFile: ca,
      token: 't',
      timeoutMs: 10_000,
    }).then(
      () => {
        throw new Error('connected')
      },
      (e: unknown) => e as { code?: string; message: string; hint?: string },
    )
    return err
  } finally {
    await srv.stop()
  }
}

describe('a certificate refused for another reason than its CA', () => {
  it('an expired one: the hint says to renew it (or check the clock), not to pass the CA', async () => {
    const err = await refusal(await certificate('expired', 'IP:127.0.0.1', '20200101000000Z', '20210101000000Z'))
    expect(err.code).toBe('AUTH')
    expect(err.message).toMatch(/expired/)
    expect(err.hint).toMatch(/renew it/)
    expect(err.hint).not.toMatch(/--ca-file/)
  })

  it('one for another host: the hint says the certificate does not name it, not to pass the CA', async () => {
    const err = await refusal(await certificate('other', 'DNS:other.example', '20200101000000Z', '20991231000000Z'))
    expect(err.code).toBe('AUTH')
    expect(err.message).toMatch(/altnames/)
    expect(err.hint).toMatch(/does not name the host/)
    expect(err.hint).not.toMatch(/--ca-file/)
  })

  it('one signed by an unknown CA still says to pass the CA with --ca-file', async () => {
    // Its own CA, which the client was not given.
    selfSignedCert(tmp, 'self.key', 'self.pem')
    const err = await refusal({
      cert: await readFile(join(tmp, 'self.pem')),
      key: await readFile(join(tmp, 'self.key')),
    })
    expect(err.code).toBe('AUTH')
    expect(err.hint).toMatch(/pass the CA that signed it with --ca-file/)
  })
})

describe('a server certificate signed by an intermediate CA the server does not send', () => {
  // QA 30a #6: the client trusts the root, the server sends only its own certificate: the hint said
  // to pass the CA with --ca-file, which the user had done.
  it('the hint says the server may lack the intermediate certificate; with it, the client connects', async () => {
    await writeFile(join(tmp, 'int.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n')
    run(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'int.key',
      '-out',
      'int.csr',
      '-subj',
      '/CN=test intermediate',
    )
    run(
      'x509',
      '-req',
      '-in',
      'int.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'int.pem',
      '-days',
      '2',
      '-extfile',
      'int.ext',
    )
    await writeFile(join(tmp, 'leaf.ext'), 'subjectAltName=IP:127.0.0.1\n')
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=leaf')
    run(
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'int.pem',
      '-CAkey',
      'int.key',
      '-CAcreateserial',
      '-out',
      'leaf.pem',
      '-days',
      '2',
      '-extfile',
      'leaf.ext',
    )
    const leaf = await readFile(join(tmp, 'leaf.pem'))
    const key = await readFile(join(tmp, 'leaf.key'))
    const err = await refusal({ cert: leaf, key })
    expect(err.code).toBe('AUTH')
    expect(err.hint).toMatch(/--tls-cert may lack the intermediate CA certificate/)
    // The chain the hint says to serve is accepted.
    const chained = await startTestServer({
      tlsCert: Buffer.concat([leaf, await readFile(join(tmp, 'int.pem'))]),
      tlsKey: key,
      token: 't',
    })
    try {
      const b = await createGrpcBackend({ uri: `grpcs://127.0.0.1:${chained.server.port}/`, caFile: ca, token: 't' })
      await b.close()
    } finally {
      await chained.stop()
    }
  })
})

describe('serve with a certificate outside its dates', () => {
  // QA 30a #5: serve started without a word, and every client then failed "certificate has expired".
  async function serveLog(tls: { cert: Buffer; key: Buffer }, name: string): Promise<string[]> {
    const { runServe } = await import('../src/server/run-serve.js')
    await writeFile(join(tmp, `${name}.served.pem`), tls.cert)
    await writeFile(join(tmp, `${name}.served.key`), tls.key)
    const lines: string[] = []
    const ac = new AbortController()
    await runServe({
      root: tmp,
      listen: '127.0.0.1:0',
      token: 't',
      tlsCert: join(tmp, `${name}.served.pem`),
      tlsKey: join(tmp, `${name}.served.key`),
      env: {},
      signal: ac.signal,
      log: (l) => lines.push(l),
      onListening: () => ac.abort(),
    })
    return lines
  }

  it('an expired one is warned of, naming the file and the date; a valid one is not', async () => {
    const expired = await serveLog(
      await certificate('served-expired', 'IP:127.0.0.1', '20200101000000Z', '20210101000000Z'),
      'expired',
    )
    expect(expired.filter((l) => /expired/.test(l))).toEqual([
      expect.stringMatching(
        /--tls-cert .*expired\.served\.pem expired on 2021-01-01T00:00:00\.000Z: every grpcs:\/\/ client refuses it/,
      ),
    ])
    const valid = await serveLog(
      await certificate('served-valid', 'IP:127.0.0.1', '20200101000000Z', '20991231000000Z'),
      'valid',
    )
    expect(valid.join('\n')).not.toMatch(/expired|not valid before/)
  })
})
