import { Metadata } from '@grpc/grpc-js'
import { describe, expect, it } from 'vitest'
import { DEFAULT_PORT, grpcBackend, parseGrpcUri, parseListen, toSyncError } from '../src/index.js'

describe('parseGrpcUri', () => {
  it.each([
    ['grpc://127.0.0.1:9000/', { tls: false, target: '127.0.0.1:9000', root: '', uri: 'grpc://127.0.0.1:9000/' }],
    ['grpc://host:9000', { tls: false, target: 'host:9000', root: '' }],
    ['grpcs://host:9000/a/b/', { tls: true, target: 'host:9000', root: 'a/b', uri: 'grpcs://host:9000/a/b/' }],
    ['grpc://[::1]:9000/x', { target: '[::1]:9000', root: 'x' }],
    ['grpc://host/x%20y', { target: `host:${DEFAULT_PORT}`, root: 'x y' }],
  ])('%s', (uri, expected) => {
    expect(parseGrpcUri(uri)).toMatchObject(expected)
  })

  it.each([
    'grpc://host:1/a%00b',
    'grpc://user:pw@host:1/',
    'grpc://host:1/?x=1',
    's3://b/p',
    'grpc:///x',
    'not a uri',
    // QA 23 #9: resolved away by the URL parser (data/.. is the served root itself).
    'grpc://host:1/data/..',
    'grpc://host:1/../../etc',
    'grpc://host:1/a/./b',
    'grpc://host:1/a/%2e%2e/b',
    'grpc://host:1/data/.\t.',
    'grpc://host:1/data/%2e%0a%2e',
  ])('refuses %s with USAGE', (uri) => {
    expect(() => parseGrpcUri(uri)).toThrow(expect.objectContaining({ code: 'USAGE' }))
  })

  // Review h-rev-grpc: the refusal printed the location back whole, a token in it too.
  it.each(['grpc://s3cr3t-token@host:1/x', 'grpcs://user:s3cr3t-token@host:1/', 'grpc://s3cr3t-token@host:1/a\tb'])(
    'refuses %s without saying what is before its @',
    (uri) => {
      let err: unknown
      try {
        parseGrpcUri(uri)
      } catch (e) {
        err = e
      }
      expect(err).toMatchObject({ code: 'USAGE', message: expect.stringContaining('…@host:1') })
      expect(String((err as Error).message)).not.toContain('s3cr3t')
    },
  )

  it('the plugin claims grpc and grpcs and checks option types', async () => {
    expect(grpcBackend.schemes).toEqual(['grpc', 'grpcs'])
    await expect(grpcBackend.open('grpc://127.0.0.1:1/', { token: 42 })).rejects.toMatchObject({ code: 'USAGE' })
  })
})

describe('parseListen', () => {
  it('accepts HOST:PORT and [v6]:PORT, refuses the rest with USAGE', () => {
    expect(parseListen('0.0.0.0:8730')).toEqual({ host: '0.0.0.0', port: 8730 })
    expect(parseListen('[::1]:0')).toEqual({ host: '[::1]', port: 0 })
    for (const bad of ['8730', 'host', 'host:99999', ':80', 'a b:1']) {
      expect(() => parseListen(bad)).toThrow(expect.objectContaining({ code: 'USAGE' }))
    }
  })
})

describe('toSyncError', () => {
  const status = (code: number, details: string, syncflowCode?: string) => {
    const metadata = new Metadata()
    if (syncflowCode) metadata.set('syncflow-code', syncflowCode)
    return Object.assign(new Error(details), { code, details, metadata })
  }
  it.each([
    [14, 'connect ECONNREFUSED', 'TRANSIENT'],
    [4, 'Deadline exceeded', 'TRANSIENT'],
    [8, 'Received message larger than max', 'TRANSIENT'],
    [13, 'Received RST_STREAM with code 2', 'TRANSIENT'],
    [13, 'something else', 'UNKNOWN'],
    [16, 'wrong token', 'AUTH'],
    [7, 'denied', 'PERMISSION'],
    [5, 'no such file', 'NOT_FOUND'],
    [3, 'bad path', 'INVALID_PATH'],
    [9, 'changed', 'CONFLICT'],
    [12, 'not implemented', 'UNSUPPORTED'],
    [15, 'mismatch', 'CHECKSUM'],
    [14, 'self-signed certificate in certificate chain', 'AUTH'],
    [
      14,
      'No connection established. Last error: Error: 80:error:0A00010B:SSL routines::wrong version number:x.c:350:\n.',
      'USAGE',
    ],
  ])('status %i (%s) → %s', (code, details, expected) => {
    expect(toSyncError(status(code, details), 'op').code).toBe(expected)
  })

  // QA 11 #8: a watch's retry against a stopped server printed grpc-js's raw text, with no hint.
  it.each([
    [
      'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:19742.',
      'cannot connect to 127.0.0.1:19742 (connection refused: the server is not running, or listens on another port)',
    ],
    [
      'No connection established. Last error: Error: connect EHOSTUNREACH 10.0.0.9:19742.',
      'cannot connect to 127.0.0.1:19742 (no route to the host)',
    ],
    [
      'No connection established. Last error: Failed to connect (2026-12-04T00:44:40.476Z).',
      'cannot connect to 127.0.0.1:19742',
    ],
  ])('a connection not made (%s) is said in words, with the unreachable-server hint', (details, said) => {
    const e = toSyncError(status(14, details), 'rootExists', undefined, undefined, '127.0.0.1:19742')
    expect(e.code).toBe('TRANSIENT')
    expect(e.message).toBe(`TRANSIENT: grpc.rootExists: ${said}`)
    expect(e.hint).toContain('`syncflow serve` is running at 127.0.0.1:19742 and reachable from here')
  })

  it('keeps the code a syncflow server names, when it is a known one', () => {
    expect(toSyncError(status(8, 'disk full', 'NO_SPACE'), 'write').code).toBe('NO_SPACE')
    expect(toSyncError(status(9, 'x', 'NOT_A_CODE'), 'write').code).toBe('CONFLICT')
  })

  it('makes a multi-line OpenSSL message one line', () => {
    const e = toSyncError(
      status(14, 'Last error: Error: 80:error:0A000086:SSL routines::certificate verify failed:x.c:1:\n.'),
      'hello',
    )
    expect(e.code).toBe('AUTH')
    expect(e.message).not.toContain('\n')
    expect(e.message).toMatch(/certificate verify failed:x\.c:1:$/)
  })

  it('our own cancel is ABORTED', () => {
    const ac = new AbortController()
    ac.abort()
    expect(toSyncError(status(1, 'Cancelled on client'), 'read', 'p', ac.signal).code).toBe('ABORTED')
    expect(toSyncError(status(1, 'Cancelled'), 'read').code).toBe('TRANSIENT')
  })
})
