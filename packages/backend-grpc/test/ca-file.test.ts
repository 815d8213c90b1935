import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'

// QA 3a F10: `--ca-file tls/srv.key` (a private key) got as far as the handshake and failed with
// "unable to verify the first certificate … pass the CA with --ca-file"; a missing file printed
// ENOENT with no hint. The file is checked before any connection (no server is needed here).
let tmp: string

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'grpc-ca-file-'))
})

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

const open = (caFile: string) =>
  createGrpcBackend({ uri: 'grpcs://127.0.0.1:1/', caFile, timeoutMs: 2000 }).catch((e: unknown) => e)

describe('--ca-file', () => {
  it('a private key given as the CA is a USAGE error saying so, with a hint', async () => {
    const key = join(tmp, 'srv.key')
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    await writeFile(key, privateKey.export({ type: 'pkcs8', format: 'pem' }))
    const err = await open(key)
    expect(err).toMatchObject({ code: 'USAGE' })
    expect(String(err)).toContain(`--ca-file ${key} is a private key, not a certificate`)
    expect((err as { hint?: string }).hint).toMatch(/--ca-file.*certificate.*PEM/)
  })

  it('a file that is no PEM certificate is a USAGE error saying so', async () => {
    const junk = join(tmp, 'notes.txt')
    await writeFile(junk, 'not a certificate\n')
    const err = await open(junk)
    expect(err).toMatchObject({ code: 'USAGE' })
    expect(String(err)).toContain(`--ca-file ${junk} is not a PEM certificate`)
    expect((err as { hint?: string }).hint).toMatch(/--ca-file/)
  })

  it('a PEM certificate block that does not parse is a USAGE error naming the file', async () => {
    const broken = join(tmp, 'broken.pem')
    await writeFile(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')
    const err = await open(broken)
    expect(err).toMatchObject({ code: 'USAGE' })
    expect(String(err)).toContain(`--ca-file ${broken}`)
    expect((err as { hint?: string }).hint).toMatch(/--ca-file/)
  })

  it('a missing file is a USAGE error with a hint', async () => {
    const missing = join(tmp, 'missing.pem')
    const err = await open(missing)
    expect(err).toMatchObject({ code: 'USAGE' })
    expect(String(err)).toContain(`--ca-file ${missing}: ENOENT: no such file or directory`)
    expect(String(err)).not.toContain("open '")
    expect((err as { hint?: string }).hint).toMatch(/--ca-file/)
  })
})
