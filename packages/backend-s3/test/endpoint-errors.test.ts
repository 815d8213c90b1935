import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createS3Backend } from '../src/index.js'

/**
 * Set-up mistakes with the endpoint, against real local servers (no S3 needed): each is a USAGE
 * error with a hint, never an "internal error" and never retried as TRANSIENT.
 */
describe('S3 endpoint set-up mistakes', () => {
  let dir: string
  const servers: Server[] = []
  const listen = async (server: Server): Promise<number> => {
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return (server.address() as AddressInfo).port
  }
  const backendAt = (endpoint: string) =>
    createS3Backend({
      bucket: 'bucket',
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
    })

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-endpoint-'))
  })
  afterEach(() => {
    vi.unstubAllEnvs()
  })
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
    await rm(dir, { recursive: true, force: true })
  })

  it('https:// to a plain HTTP port: the endpoint does not speak TLS', async () => {
    const port = await listen(createHttpServer((_req, res) => res.end()))
    const b = backendAt(`https://127.0.0.1:${port}`)
    const err = await b.rootExists().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ code: 'USAGE', hint: expect.stringContaining('http://') })
    // Not OpenSSL's raw text, which ended in a newline the CLI printed as `\x0a` (s335).
    expect((err as Error).message).toMatch(
      new RegExp(
        `the endpoint at https://127\\.0\\.0\\.1:${port} does not speak TLS \\(OpenSSL: wrong version number\\)$`,
      ),
    )
    await b.close()
  })

  it('a self-signed certificate: not trusted, with how to trust it', async () => {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2'].concat([
        '-subj',
        '/CN=127.0.0.1',
      ]),
      { cwd: dir, stdio: 'pipe' },
    )
    const tls = { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) }
    const port = await listen(createHttpsServer(tls, (_req, res) => res.end()))
    const b = backendAt(`https://127.0.0.1:${port}`)
    await expect(b.rootExists()).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('not trusted'),
      hint: expect.stringContaining('AWS_CA_BUNDLE'),
    })
    await b.close()
  })

  it.each([200, 404])(
    'a web server, not S3, answering HTML (HTTP %i): not S3, not an internal error',
    async (status) => {
      // QA 25b #1: the SDK's XML parser failed on the page; that was "no such object" or a bug in syncflow.
      const port = await listen(
        createHttpServer((_req, res) => {
          res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
          res.end('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>Directory listing</body></html>')
        }),
      )
      const b = createS3Backend({
        bucket: 'bucket',
        prefix: 'app',
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
        maxAttempts: 1,
      })
      const expected = {
        code: 'USAGE',
        message: expect.stringContaining('did not answer as an S3 service (text/html'),
        hint: expect.stringContaining('--s3-endpoint'),
      }
      // A HEAD has no body to tell a web page by: after a 404, a listing's answer does. It was "no
      // such bucket" (false), and a sync from it said the source does not exist (QA 26h #3).
      await expect(b.rootExists()).rejects.toMatchObject(expected)
      await expect(b.list().next()).rejects.toMatchObject(expected)
      await b.close()
    },
  )

  it.each([
    ['AWS_ENDPOINT_URL', '127.0.0.1:9000'],
    ['AWS_ENDPOINT_URL_S3', 'ftp://127.0.0.1:9000'],
  ])('an endpoint in %s that is not an http(s) URL (%s): USAGE naming the variable', async (name, value) => {
    // QA 25b #5: "internal error: … Invalid URL (TypeError)", a bug in syncflow.
    vi.stubEnv('AWS_ENDPOINT_URL', undefined)
    vi.stubEnv('AWS_ENDPOINT_URL_S3', undefined)
    vi.stubEnv(name, value)
    const b = createS3Backend({
      bucket: 'bucket',
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
    })
    await expect(b.rootExists()).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining(`${JSON.stringify(value)} (from the environment variable ${name})`),
      hint: expect.stringContaining('http://'),
    })
    await b.close()
  })

  it.each(['AWS_USE_FIPS_ENDPOINT', 'AWS_USE_DUALSTACK_ENDPOINT'])(
    '%s with a custom endpoint, which the SDK refuses: USAGE, not an internal error',
    async (name) => {
      // QA 25b #6: the SDK's EndpointError was "internal error: … This is a bug in syncflow".
      vi.stubEnv(name, 'true')
      const port = await listen(createHttpServer((_req, res) => res.end()))
      const b = backendAt(`http://127.0.0.1:${port}`)
      await expect(b.rootExists()).rejects.toMatchObject({
        code: 'USAGE',
        message: expect.stringContaining('the AWS SDK refused the S3 endpoint settings'),
        hint: expect.stringContaining(name),
      })
      await b.close()
    },
  )

  // (QA 31h) A bucket in another region: AWS answers 301 PermanentRedirect, MinIO and AWS (SigV4
  // with the wrong region) 400 AuthorizationHeaderMalformed, a HEAD without a body, all with the
  // header x-amz-bucket-region. The HEAD's 400 read "malformed … check the bucket name", and no
  // case said which region, telling instead to leave AWS_REGION unset "to have it detected", which
  // a custom endpoint never does.
  it.each([
    [
      301,
      'PermanentRedirect',
      'The bucket you are attempting to access must be addressed using the specified endpoint.',
    ],
    [400, 'AuthorizationHeaderMalformed', "the region 'us-east-1' is wrong; expecting 'eu-west-1'"],
  ])(
    'a bucket in another region (HTTP %i, %s): says which, and to set AWS_REGION to it',
    async (status, code, text) => {
      const port = await listen(
        createHttpServer((req, res) => {
          req.resume()
          res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-bucket-region': 'eu-west-1' })
          res.end(
            req.method === 'HEAD'
              ? undefined
              : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${text}</Message><Bucket>bucket</Bucket></Error>`,
          )
        }),
      )
      const b = backendAt(`http://127.0.0.1:${port}`)
      const expected = {
        code: 'USAGE',
        message: expect.stringContaining('bucket bucket is in another region (eu-west-1'),
        hint: expect.stringMatching(/^Set AWS_REGION to eu-west-1 .*not detected/),
      }
      await expect(b.rootExists()).rejects.toMatchObject(expected)
      await expect(b.list().next()).rejects.toMatchObject(expected)
      await b.close()
    },
  )

  // (QA 31h) An http:// endpoint whose proxy redirects to https:// (nginx, Caddy): the SDK follows
  // no redirect. The HEAD's 301 read "bucket … is in another region", a 308 "internal error … a bug
  // in syncflow", a listing "not an S3 service": none said where the endpoint pointed.
  it.each([301, 308])(
    'an endpoint that redirects elsewhere (HTTP %i): says where, and to give that address',
    async (status) => {
      const port = await listen(
        createHttpServer((req, res) => {
          req.resume()
          res.writeHead(status, { 'content-type': 'text/html', location: `https://127.0.0.1:9443${req.url}` })
          res.end(req.method === 'HEAD' ? undefined : '<html><body><h1>Moved</h1></body></html>')
        }),
      )
      const b = backendAt(`http://127.0.0.1:${port}`)
      const expected = {
        code: 'USAGE',
        message: expect.stringContaining(`redirects to https://127.0.0.1:9443/bucket`),
        hint: expect.stringContaining('--s3-endpoint https://127.0.0.1:9443 '),
      }
      await expect(b.rootExists()).rejects.toMatchObject(expected)
      await expect(b.list().next()).rejects.toMatchObject(expected)
      await b.close()
    },
  )

  it('a bare 400 (a malformed request, e.g. a bucket name with a port in it): names the bucket', async () => {
    const port = await listen(
      createHttpServer((_req, res) => {
        res.statusCode = 400
        res.end()
      }),
    )
    const b = backendAt(`http://127.0.0.1:${port}`)
    await expect(b.rootExists()).rejects.toMatchObject({ code: 'USAGE', hint: expect.stringContaining('"bucket"') })
    await b.close()
  })
})
