import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, expect, it } from 'vitest'
// Test-only imports of the CLI's test helpers: the run is the built binary's, as a user's.
import { buildCli, runCli } from '../../cli-tui/test/helpers/cli.js'
import { rawClient } from './raw-client.js'
import { uniquePrefix } from './s3-test-backend.js'
import { credentialsEnv, describeS3 } from './s3-test-env.js'

// An S3 prefix exists only once it holds a key. `bisync dir s3://b/new` seeded a new prefix, while
// `bisync s3://b/new dir` was refused before the run ("side A … does not exist", exit 2): the CLI
// checked A as a one-way source, where B was left to bisync's own rule (empty on a first run, gone
// once a run has synced it). An S3 side emptied on purpose is one only with consent
// (--allow-empty-source); a local side gone never is.

describeS3('syncflow bisync with a new S3 prefix as A (the built CLI)', (env) => {
  let dir: string
  beforeAll(async () => {
    buildCli()
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-bisync-new-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('seeds a prefix that holds no key yet on a first run; refuses it once synced and emptied', async () => {
    const local = join(dir, 'local')
    await mkdir(local)
    await writeFile(join(local, 'a.txt'), 'from the local side\n')
    const prefix = uniquePrefix(env, 'bisync-new-a')
    const run = (...extra: string[]) =>
      runCli(['bisync', `s3://${env.bucket}/${prefix}`, local, '--s3-endpoint', env.endpoint, ...extra], {
        env: { SYNCFLOW_STATE_DIR: join(dir, 'state'), ...credentialsEnv(env) },
      })
    const first = await run()
    expect(first.code, first.stderr).toBe(0)
    const s3 = rawClient(env)
    const got = await s3.send(new GetObjectCommand({ Bucket: env.bucket, Key: `${prefix}/a.txt` }))
    expect(await got.Body?.transformToString()).toBe('from the local side\n')

    // Its only key deleted: the prefix is gone, as an unmounted directory is, never read as empty.
    await s3.send(new DeleteObjectCommand({ Bucket: env.bucket, Key: `${prefix}/a.txt` }))
    const gone = await run()
    expect(gone.code).toBe(2)
    expect(gone.stderr).toContain('does not exist')
    expect(gone.stderr).toContain('a side gone is never taken as empty')
    expect(await readFile(join(local, 'a.txt'), 'utf8')).toBe('from the local side\n')
    expect(gone.stderr).toContain('add --allow-empty-source --max-delete 100%')

    // Emptied on purpose: with consent the prefix is an empty side, and the local file goes too.
    const consent = await run('--allow-empty-source', '--max-delete', '100%')
    expect(consent.code, consent.stderr).toBe(0)
    expect(await readdir(local)).toEqual([])
    // Both sides are as a first run finds them: the prefix, still without a key, is not "gone".
    const after = await run()
    expect(after.code, after.stderr).toBe(0)
    await writeFile(join(local, 'b.txt'), 'new\n')
    const next = await run()
    expect(next.code, next.stderr).toBe(0)
    const b = await s3.send(new GetObjectCommand({ Bucket: env.bucket, Key: `${prefix}/b.txt` }))
    expect(await b.Body?.transformToString()).toBe('new\n')
  }, 60_000)

  it('a prefix taken as empty with consent whose deletes were held back is still refused up front as gone', async () => {
    // The run with --allow-empty-source (but --max-delete 50%) deleted nothing, yet dropped the job's
    // last-run mark: every later run without consent was no longer refused up front (exit 2, with the
    // way out) but ran, and failed "B … is gone … It was there when the run began" (exit 1), where it
    // was not.
    const local = join(dir, 'held')
    await mkdir(local)
    for (const n of ['1', '2', '3']) await writeFile(join(local, `f${n}.txt`), `${n}\n`)
    const prefix = uniquePrefix(env, 'bisync-held-consent')
    const run = (...extra: string[]) =>
      runCli(['bisync', local, `s3://${env.bucket}/${prefix}`, '--s3-endpoint', env.endpoint, ...extra], {
        env: { SYNCFLOW_STATE_DIR: join(dir, 'state'), ...credentialsEnv(env) },
      })
    expect((await run()).code).toBe(0)
    const s3 = rawClient(env)
    for (const n of ['1', '2', '3'])
      await s3.send(new DeleteObjectCommand({ Bucket: env.bucket, Key: `${prefix}/f${n}.txt` }))
    const held = await run('--allow-empty-source')
    expect(held.code).toBe(1)
    expect(held.stderr).toContain('exceed --max-delete 50%')
    expect((await readdir(local)).sort()).toEqual(['f1.txt', 'f2.txt', 'f3.txt'])
    const after = await run()
    expect(after.code).toBe(2)
    expect(after.stderr).toContain('a side gone is never taken as empty')
    expect(after.stderr).not.toContain('It was there when the run began')
    expect((await readdir(local)).sort()).toEqual(['f1.txt', 'f2.txt', 'f3.txt'])
  }, 60_000)

  it('never takes a local side that is gone as empty, even with --allow-empty-source', async () => {
    const a = join(dir, 'gone-a')
    const prefix = uniquePrefix(env, 'bisync-gone-local')
    await mkdir(a)
    await writeFile(join(a, 'kept.txt'), 'kept\n')
    const run = (...extra: string[]) =>
      runCli(['bisync', `s3://${env.bucket}/${prefix}`, a, '--s3-endpoint', env.endpoint, ...extra], {
        env: { SYNCFLOW_STATE_DIR: join(dir, 'state'), ...credentialsEnv(env) },
      })
    expect((await run()).code).toBe(0)
    await rm(a, { recursive: true })
    const r = await run('--allow-empty-source', '--max-delete', '100%')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('does not exist')
    const kept = await rawClient(env).send(new GetObjectCommand({ Bucket: env.bucket, Key: `${prefix}/kept.txt` }))
    expect(await kept.Body?.transformToString()).toBe('kept\n')
  }, 60_000)

  it('a first run of many files says no MaxListenersExceededWarning (every action in flight listens to the run signal)', async () => {
    const local = join(dir, 'many')
    await mkdir(local)
    for (let i = 0; i < 40; i++) await writeFile(join(local, `f${i}.txt`), `${i}\n`)
    const r = await runCli(
      ['bisync', local, `s3://${env.bucket}/${uniquePrefix(env, 'bisync-many')}`, '--s3-endpoint', env.endpoint],
      { env: { SYNCFLOW_STATE_DIR: join(dir, 'state'), ...credentialsEnv(env) } },
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toContain('MaxListenersExceededWarning')
    expect(r.stderr).toContain('copied 40 files')
  }, 60_000)
})
