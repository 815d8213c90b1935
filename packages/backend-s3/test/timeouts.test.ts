import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startBlackhole, startSilentListener } from '../../backend-grpc/test/silent-servers.js'
// Test-only imports: the built CLI as a user runs it, and addresses where nothing answers.
import { buildCli, runCli } from '../../cli-tui/test/helpers/cli.js'

// --contimeout SEC and --timeout SEC on s3:// locations: the SDK's own connection and socket
// inactivity timeouts (requestHandler connectionTimeout, socketTimeout), set from the flags. No S3
// server is needed: the endpoint is an address where nothing answers.

let dir: string
const cleanups: (() => Promise<void>)[] = []

beforeAll(async () => {
  buildCli()
  dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-timeouts-'))
})
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const ls = (endpoint: string, ...flags: string[]) =>
  runCli(['ls', 's3://some-bucket/p', '--s3-endpoint', endpoint, ...flags], {
    cwd: dir,
    env: {
      SYNCFLOW_STATE_DIR: join(dir, 'state'),
      AWS_ACCESS_KEY_ID: 'AKIDTIMEOUTTEST',
      AWS_SECRET_ACCESS_KEY: 'timeout-test-secret',
      AWS_REGION: 'us-east-1',
    },
  })

describe('s3:// with an endpoint where nothing answers', () => {
  // Without the flags each of the SDK's three attempts waits 60 s (a silent server) or 10 s (no connection).
  it('--timeout SEC: a service that accepts and never answers fails after SEC of silence, exit 2', async () => {
    const silent = await startSilentListener()
    cleanups.push(silent.close)
    const r = await ls(`http://127.0.0.1:${silent.port}`, '--timeout', '1')
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain(
      `TRANSIENT: s3.rootExists: http://127.0.0.1:${silent.port} sent or took nothing for 1 s (I/O timeout)`,
    )
    expect(r.stderr).toContain('raise --timeout')
  }, 20_000)

  it('--contimeout SEC: a connection not made fails after SEC, exit 2', async () => {
    const hole = await startBlackhole()
    cleanups.push(hole.close)
    const r = await ls(`http://127.0.0.1:${hole.port}`, '--contimeout', '1')
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain(
      `TRANSIENT: s3.rootExists: no connection to http://127.0.0.1:${hole.port} within 1 s (connection timeout)`,
    )
    expect(r.stderr).toContain('raise --contimeout')
  }, 20_000)
})
