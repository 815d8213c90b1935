import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, expect, it } from 'vitest'
// Test-only imports of the CLI's test helpers: the run is the built binary's, as a user's.
import { buildCli, jsonLines, killedAfterEach, startCli } from '../../cli-tui/test/helpers/cli.js'
import { rawClient } from './raw-client.js'
import { uniquePrefix } from './s3-test-backend.js'
import { credentialsEnv, describeS3 } from './s3-test-env.js'

// QA 29d: a key that is both an object and a prefix (`x` and `x/child`) is a listing error of the
// path `x` (its keys below are skipped, so the run deletes nothing), while the object `x` itself is
// copied. The watch's total took that copy for the path's failure healed: its last `done` said no
// failure and no listing error, though every cycle had held its deletes back.

const running = killedAfterEach()

describeS3('syncflow watch of an s3:// source: the total keeps a listing error of a path it copied', (env) => {
  const raw = rawClient(env)
  let dir: string
  let source: string
  beforeAll(async () => {
    buildCli()
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-watch-total-'))
    source = uniquePrefix(env, 'watch-total')
    for (const [key, body] of [
      ['x', 'file'],
      ['x/child', 'below'],
      ['ok', 'ok'],
    ]) {
      await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${source}/${key}`, Body: body }))
    }
  })
  afterAll(async () => {
    raw.destroy()
    await rm(dir, { recursive: true, force: true })
  })

  it('the last done counts the file-and-prefix clash as a failure and a listing error', async () => {
    const target = join(dir, 'dst')
    await mkdir(target)
    await writeFile(join(target, 'stale'), 'not in the source')
    const r = startCli(['watch', `s3://${env.bucket}/${source}`, target, '--s3-endpoint', env.endpoint, '--json'], {
      cwd: dir,
      env: { SYNCFLOW_STATE_DIR: join(dir, 'state'), ...credentialsEnv(env) },
    })
    running.push(r)
    await expect.poll(() => jsonLines(r.stdout()).some((e) => e.type === 'done'), { timeout: 20_000 }).toBe(true)
    r.child.kill('SIGINT')
    expect((await r.exited).code).toBe(130)
    const dones = jsonLines(r.stdout()).filter((e) => e.type === 'done')
    const initial = dones[0]?.summary as { failed: number; listingErrors: number }
    expect(initial).toMatchObject({ failed: 1, listingErrors: 1, errorCodes: { CONFLICT: 1 } })
    // The cycle copied x (and ok) and deleted nothing.
    expect((await readdir(target)).sort()).toEqual(['ok', 'stale', 'x'])
    const total = dones.at(-1)?.summary
    expect(total).toMatchObject({ mode: 'watch', failed: 1, listingErrors: 1, errorCodes: { CONFLICT: 1 } })
  }, 60_000)
})
