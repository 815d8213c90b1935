import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGrpcBackend, grpcBackend } from '../src/index.js'
import { startTestServer } from './helpers.js'

let srv: Awaited<ReturnType<typeof startTestServer>>
let tmp: string
const TOKEN = 's3cret-token'

beforeAll(async () => {
  srv = await startTestServer({ token: TOKEN })
  tmp = await mkdtemp(join(tmpdir(), 'grpc-auth-'))
})

afterAll(async () => {
  await srv?.stop()
  await rm(tmp, { recursive: true, force: true })
})

const uri = () => `grpc://127.0.0.1:${srv.server.port}/`

describe('token auth', () => {
  it('rejects a missing token with AUTH and a hint', async () => {
    const err = await createGrpcBackend({ uri: uri(), env: {} }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'AUTH' })
    expect((err as { hint?: string }).hint).toMatch(/--token/)
  })

  it('rejects a wrong token with AUTH', async () => {
    await expect(createGrpcBackend({ uri: uri(), token: 'nope', env: {} })).rejects.toMatchObject({ code: 'AUTH' })
    await expect(createGrpcBackend({ uri: uri(), token: `${TOKEN}x`, env: {} })).rejects.toMatchObject({
      code: 'AUTH',
    })
  })

  it('accepts the token given directly, from a file, or from SYNCFLOW_TOKEN', async () => {
    const a = await createGrpcBackend({ uri: uri(), token: TOKEN })
    expect(await a.rootExists()).toBe(true)
    await a.close()
    const file = join(tmp, 'token')
    await writeFile(file, `${TOKEN}\n`)
    const b = await grpcBackend.open(uri(), { tokenFile: file })
    expect(await b.stat('nothing' as never)).toBeUndefined()
    await b.close()
    const c = await createGrpcBackend({ uri: uri(), env: { SYNCFLOW_TOKEN: TOKEN } })
    expect([...(await collect(c.list()))]).toEqual([])
    await c.close()
  })

  it('checks every call, not only the first (a raw client without metadata is refused)', async () => {
    const good = await createGrpcBackend({ uri: uri(), token: TOKEN })
    await good.close()
    const { loadProtocol } = await import('../src/wire/load-protocol.js')
    const { grpc, proto } = await loadProtocol()
    const raw = new proto.syncflow.v1.Syncflow(`127.0.0.1:${srv.server.port}`, grpc.credentials.createInsecure())
    const code = await new Promise<number | undefined>((resolve) =>
      raw.Stat({ root: '', path: 'x' }, (err) => resolve(err?.code)),
    )
    raw.close()
    expect(code).toBe(grpc.status.UNAUTHENTICATED)
  })

  it('reports a bad token file as USAGE', async () => {
    await expect(createGrpcBackend({ uri: uri(), tokenFile: join(tmp, 'missing') })).rejects.toMatchObject({
      code: 'USAGE',
    })
  })
})

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

describe('serve --token-file readable by other users', () => {
  // rsync's daemon refuses a secrets file other users may read ("strict modes"), ssh a private key:
  // whoever reads the token may read and write the whole root. serve said nothing.
  async function serveLog(mode: number): Promise<string[]> {
    const { chmod } = await import('node:fs/promises')
    const { runServe } = await import('../src/server/run-serve.js')
    const file = join(tmp, `token-${mode.toString(8)}`)
    await writeFile(file, `${TOKEN}\n`)
    await chmod(file, mode)
    const lines: string[] = []
    const ac = new AbortController()
    await runServe({
      root: tmp,
      listen: '127.0.0.1:0',
      tokenFile: file,
      env: {},
      signal: ac.signal,
      log: (l) => lines.push(l),
      onListening: () => ac.abort(),
    })
    return lines
  }

  it('warns when group or others may read it, naming the file and chmod 600', async () => {
    for (const mode of [0o644, 0o640, 0o604]) {
      const warning = (await serveLog(mode)).filter((l) => /readable by other users/.test(l))
      expect(warning).toHaveLength(1)
      expect(warning[0]).toMatch(/chmod 600 .*token-/)
    }
  })

  it('says nothing of a file only its owner may read', async () => {
    expect((await serveLog(0o600)).filter((l) => /readable by other users/.test(l))).toEqual([])
  })
})

describe('a token with a character no header carries', () => {
  // It travels as `authorization: Bearer <token>`, printable ASCII only: serve took `pässwörd` and
  // then no client could send it, each saying "internal error … a bug in syncflow" (grpc-js
  // refused the header). Now both sides refuse it as a usage error naming where it came from.
  it('is refused by serve before it listens, naming the flag', async () => {
    const { runServe } = await import('../src/server/run-serve.js')
    let listened = false
    const ac = new AbortController()
    const err = await runServe({
      root: tmp,
      listen: '127.0.0.1:0',
      token: 'pässwörd',
      env: {},
      signal: ac.signal,
      log: () => {},
      onListening: () => {
        listened = true
        ac.abort()
      },
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'USAGE', message: expect.stringContaining('--token: the token has a character') })
    expect(listened).toBe(false)
  })

  it('is refused by a client as USAGE naming where it came from, not as an internal error', async () => {
    await expect(createGrpcBackend({ uri: uri(), token: 'pässwörd', env: {} })).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('--token: the token has a character a header cannot carry ("ä")'),
    })
    await expect(createGrpcBackend({ uri: uri(), env: { SYNCFLOW_TOKEN: 'tab\there' } })).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('SYNCFLOW_TOKEN: the token has a character'),
    })
    // Blanks alone are no token (the client sent an empty one, and the server said "no token given").
    for (const options of [{ token: '   ' }, { env: { SYNCFLOW_TOKEN: ' \t ' } }]) {
      await expect(createGrpcBackend({ uri: uri(), env: {}, ...options })).rejects.toMatchObject({
        code: 'USAGE',
        message: expect.stringContaining('the token is empty'),
      })
    }
  })
})

describe('a token with blanks around it', () => {
  // A header loses the blanks around its value: `serve --token ' abc '` took no client's token,
  // neither ' abc ' ("no token given") nor 'abc' nor a token file's trimmed line ("wrong token").
  it('is the same token trimmed, on both sides, as a token file line is', async () => {
    const { runServe } = await import('../src/server/run-serve.js')
    const ac = new AbortController()
    let port = 0
    const listening = new Promise<void>((resolve) => {
      void runServe({
        root: tmp,
        listen: '127.0.0.1:0',
        token: ' abc ',
        env: {},
        signal: ac.signal,
        log: () => {},
        onListening: (s) => {
          port = s.port
          resolve()
        },
      })
    })
    await listening
    try {
      const file = join(tmp, 'blank-token')
      await writeFile(file, ' abc \n')
      for (const options of [
        { token: ' abc ' },
        { token: 'abc' },
        { tokenFile: file },
        { env: { SYNCFLOW_TOKEN: 'abc ' } },
      ]) {
        const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/`, env: {}, ...options })
        expect(await b.rootExists()).toBe(true)
        await b.close()
      }
    } finally {
      ac.abort()
    }
  })
})
