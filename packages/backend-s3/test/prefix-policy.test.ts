import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, expect, it } from 'vitest'
// Test-only imports of the CLI's test helpers: the run is the built binary's, as a user's.
import { buildCli, jsonLines, runCli, tempDir } from '../../cli-tui/test/helpers/cli.js'
import { rawClient } from './raw-client.js'
import { credentialsEnv, describeS3 } from './s3-test-env.js'

/**
 * A bucket policy that refuses writes (or reads) under one prefix only, the one that sorts first
 * in the run: the first transfers are all refused, none accepted yet, which read as keys that may
 * write nowhere, and the whole run stopped with exit 2, nothing else uploaded (QA 32b). rclone
 * uploads what it may and reports the refused files. A refusal that covers the whole tree stays
 * one exit-2 error (QA 15 #6).
 */
describeS3('a bucket policy that refuses one prefix', (env) => {
  const raw = rawClient(env)
  // (A bucket of its own: a policy on the shared one would refuse other tests' writes.)
  const bucket = `qa-policy-${randomBytes(4).toString('hex')}`
  let made = false
  let dir: string
  const run = (...args: string[]) =>
    runCli([...args, '--s3-endpoint', env.endpoint, '--no-state'], { cwd: dir, env: credentialsEnv(env) })
  const keys = async (prefix: string): Promise<string[]> => {
    const out = await raw.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))
    return (out.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort()
  }
  const deny = (actions: string[], ...prefixes: string[]) =>
    raw.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Principal: '*',
              Action: actions,
              Resource: prefixes.map((p) => `arn:aws:s3:::${bucket}/${p}*`),
            },
          ],
        }),
      }),
    )
  /** A tree of 8 files in `aaa-locked/` (sorts first), 4 in `bbb/`, one at the top. */
  const tree = async (name: string): Promise<string> => {
    const src = join(dir, name)
    for (const sub of ['aaa-locked/x', 'aaa-locked/y', 'bbb']) await mkdir(join(src, sub), { recursive: true })
    for (let i = 0; i < 4; i++) {
      await writeFile(join(src, 'aaa-locked/x', `f${i}.txt`), `x${i}\n`)
      await writeFile(join(src, 'aaa-locked/y', `f${i}.txt`), `y${i}\n`)
      await writeFile(join(src, 'bbb', `g${i}.txt`), `b${i}\n`)
    }
    await writeFile(join(src, 'top.txt'), 'top\n')
    return src
  }

  beforeAll(async () => {
    buildCli()
    dir = await tempDir('syncflow-s3-policy-')
    await raw.send(new CreateBucketCommand({ Bucket: bucket }))
    made = true
  })
  afterAll(async () => {
    if (made) {
      await raw.send(new DeleteBucketPolicyCommand({ Bucket: bucket }))
      for (;;) {
        const out = await raw.send(new ListObjectsV2Command({ Bucket: bucket }))
        if (!out.Contents?.length) break
        for (const o of out.Contents) await raw.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key }))
      }
      await raw.send(new DeleteBucketCommand({ Bucket: bucket }))
    }
    raw.destroy()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('uploads everything else, fails the refused files one by one (exit 1) and deletes nothing', async () => {
    const src = await tree('up')
    await deny(['s3:PutObject'], 'up/aaa-locked/')
    /** What the prefix holds after each run: all but the refused files, and the extraneous one kept. */
    const uploaded = ['bbb/g0.txt', 'bbb/g1.txt', 'bbb/g2.txt', 'bbb/g3.txt', 'top.txt', 'zzz-extra.txt']
    // Extraneous on the target: a mirror must keep it, since the run failed.
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'up/zzz-extra.txt', Body: 'keep\n' }))
    const r = await run('sync', src, `s3://${bucket}/up`, '--concurrency', '2', '--json')
    expect(r.code, r.stderr).toBe(1)
    expect(await keys('up/')).toEqual(uploaded)
    const events = jsonLines(r.stdout)
    const failed = events.filter((e) => e.type === 'failed') as unknown as {
      path: string
      error: { code: string }
    }[]
    expect(failed.map((e) => e.path).sort()).toEqual([
      'aaa-locked/x/f0.txt',
      'aaa-locked/x/f1.txt',
      'aaa-locked/x/f2.txt',
      'aaa-locked/x/f3.txt',
      'aaa-locked/y/f0.txt',
      'aaa-locked/y/f1.txt',
      'aaa-locked/y/f2.txt',
      'aaa-locked/y/f3.txt',
    ])
    expect(new Set(failed.map((e) => e.error.code))).toEqual(new Set(['AUTH']))
    const done = events.at(-1) as unknown as { type: string; summary: { failed: number } }
    expect(done.type).toBe('done')
    expect(done.summary.failed).toBe(8)
    // The next run: the rest is in sync, only the refused files are left to write, and nothing else
    // to try. They fail one by one again (exit 1), not a stop that reads as keys refused everywhere.
    const again = await run('sync', src, `s3://${bucket}/up`, '--concurrency', '2')
    expect(again.code, again.stderr).toBe(1)
    expect(again.stderr).not.toContain('stopped:')
    expect(again.stderr).toMatch(/8 items failed \(AUTH 8\)/)
    expect(await keys('up/')).toEqual(uploaded)
  })

  it('a refusal of every write in the run is still one exit-2 error, after a probe elsewhere', async () => {
    const src = await tree('all')
    await deny(['s3:PutObject'], 'all/aaa-locked/', 'all/bbb/', 'all/top')
    const r = await run('sync', src, `s3://${bucket}/all`, '--concurrency', '1')
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain('transfers in a row were refused for credentials, none accepted')
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(await keys('all/')).toEqual([])
    // The first three (in aaa-locked/x/), a probe from aaa-locked/y/, one from bbb/: not one request per file.
    expect(r.stderr).toMatch(/stopped: 5 transfers .* below aaa-locked\/x\/ and outside it too, at bbb\/g0\.txt/)
  })

  /**
   * A tree of `n` files in `aaa-locked/`, 4 in `bbb/`, one at the top. With `n` above the listing's
   * backlog (8,192), the listing cannot reach `bbb/` while what waits below `aaa-locked/` is held:
   * a probe from elsewhere waits with more than PROBE_WAIT_LIMIT (512) queued, whatever the timing.
   */
  const bigTree = async (name: string, n: number): Promise<string> => {
    const src = join(dir, name)
    for (const sub of ['aaa-locked', 'bbb']) await mkdir(join(src, sub), { recursive: true })
    for (let i = 0; i < n; i++) await writeFile(join(src, 'aaa-locked', `f${String(i).padStart(4, '0')}.txt`), `${i}\n`)
    for (let i = 0; i < 4; i++) await writeFile(join(src, 'bbb', `g${i}.txt`), `b${i}\n`)
    await writeFile(join(src, 'top.txt'), 'top\n')
    return src
  }

  // s335: with 512 files or more below the refused prefix, the probe gave up waiting for the
  // listing to get past them: exit 2, nothing of bbb/ uploaded, where rclone uploads it.
  it('a refused prefix of 9,000 files that sorts first: the rest uploaded, each refused file fails (exit 1), nothing deleted', async () => {
    const src = await bigTree('many', 9000)
    await deny(['s3:PutObject'], 'many/aaa-locked/')
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'many/zzz-extra.txt', Body: 'keep\n' }))
    const r = await run('sync', src, `s3://${bucket}/many`, '--json')
    expect(r.code, r.stderr).toBe(1)
    expect(await keys('many/')).toEqual([
      'bbb/g0.txt',
      'bbb/g1.txt',
      'bbb/g2.txt',
      'bbb/g3.txt',
      'top.txt',
      'zzz-extra.txt',
    ])
    const events = jsonLines(r.stdout)
    const failed = events.filter((e) => e.type === 'failed') as unknown as { path: string; error: { code: string } }[]
    expect(failed).toHaveLength(9000)
    expect(new Set(failed.map((e) => e.path)).size).toBe(9000)
    expect(new Set(failed.map((e) => e.error.code))).toEqual(new Set(['AUTH']))
    const done = events.at(-1) as unknown as { type: string; summary: { failed: number; fatal?: unknown } }
    expect(done).toMatchObject({ type: 'done', summary: { failed: 9000 } })
    expect(done.summary.fatal).toBeUndefined()
  }, 120_000) // 9,000 uploads to radosgw: 17 s on a quiet machine, over 30 s with other work beside it

  it('every write refused, below a first directory of 9,000 files: still one exit-2 error after a few requests', async () => {
    const src = await bigTree('many-all', 9000)
    await deny(['s3:PutObject'], 'many-all/')
    const r = await run('sync', src, `s3://${bucket}/many-all`, '--json')
    expect(r.code, r.stderr).toBe(2)
    expect(await keys('many-all/')).toEqual([])
    const events = jsonLines(r.stdout)
    const done = events.at(-1) as unknown as { summary: { failed: number; fatal?: { code: string; message: string } } }
    expect(done.summary.fatal?.code).toBe('AUTH')
    expect(done.summary.fatal?.message).toMatch(/below aaa-locked\/ and outside it too, at bbb\/g0\.txt/)
    // The writes in flight when the refusals added up (64, and the two started in the first two
    // refusals' slots), and the probe: not one per file.
    expect(done.summary.failed).toBeLessThanOrEqual(64 + 2 + 1)
  })

  it('S3 → local: reads refused under one prefix fail those files alone, the rest are copied', async () => {
    const src = await tree('down-src')
    const up = await run('copy', src, `s3://${bucket}/down`)
    expect(up.code, up.stderr).toBe(0)
    await deny(['s3:GetObject'], 'down/aaa-locked/')
    const dst = join(dir, 'down-dst')
    const r = await run('copy', `s3://${bucket}/down`, dst, '--concurrency', '2')
    expect(r.code, r.stderr).toBe(1)
    for (let i = 0; i < 4; i++) expect(await readFile(join(dst, `bbb/g${i}.txt`), 'utf8')).toBe(`b${i}\n`)
    expect(await readFile(join(dst, 'top.txt'), 'utf8')).toBe('top\n')
    await expect(readFile(join(dst, 'aaa-locked/x/f0.txt'))).rejects.toThrow(/ENOENT/)
  })
})
