import { execFile, execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { type Backend, type RelPath, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, describe, expect, it } from 'vitest'
// A test-only import of the sibling package (not a dependency of this one).
import { createLocalBackend } from '../../backend-local/src/index.js'
import type { S3Backend } from '../src/index.js'
import { testBackend } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

const run = promisify(execFile)
const MiB = 1024 * 1024
const p = (s: string) => s as RelPath
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex')

function rcloneVersion(): string | undefined {
  try {
    return execFileSync('rclone', ['version'], { encoding: 'utf8' }).split('\n')[0]
  } catch {
    return undefined
  }
}

describeS3('metadata compatibility with rclone', (env) => {
  const version = rcloneVersion()
  if (version === undefined) {
    describe.skip('rclone (skipped: rclone is not installed; scripts/s3/install-peers.sh rclone installs it)', () => {
      it('needs rclone')
    })
    return
  }
  // An S3 remote named "sf" from environment variables. rclone 1.60 refuses to start when
  // AWS_CA_BUNDLE is set ("LoadCustomCABundleError … unsupported transport"), so it is dropped.
  const rcloneEnv: NodeJS.ProcessEnv = {
    ...process.env,
    RCLONE_CONFIG_SF_TYPE: 's3',
    RCLONE_CONFIG_SF_PROVIDER: env.radosgw ? 'Ceph' : 'Other',
    RCLONE_CONFIG_SF_ENDPOINT: env.endpoint,
    RCLONE_CONFIG_SF_ACCESS_KEY_ID: env.accessKeyId,
    RCLONE_CONFIG_SF_SECRET_ACCESS_KEY: env.secretAccessKey,
    RCLONE_CONFIG_SF_REGION: env.region,
    RCLONE_CONFIG_SF_FORCE_PATH_STYLE: 'true',
    RCLONE_CONFIG: '/dev/null',
  }
  delete rcloneEnv.AWS_CA_BUNDLE
  const rclone = async (...args: string[]) => (await run('rclone', args, { env: rcloneEnv })).stdout
  const remote = (b: S3Backend) => `sf:${env.bucket}/${b.prefix.slice(0, -1)}`
  const opened: Backend[] = []
  const dirs: string[] = []
  const backend = (name: string) => {
    const b = testBackend(env, name, { multipartThreshold: 6 * MiB, partSize: 5 * MiB })
    opened.push(b)
    return b
  }
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()))
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  describe(version, () => {
    it('rclone reads the mtime and MD5 syncflow stores (single part and multipart)', async () => {
      const b = backend('to-rclone')
      const small = Buffer.from('small file')
      const big = randomBytes(12 * MiB)
      await b.write(p('small.txt'), Readable.from([small]), { size: small.length, mtimeMs: 1_600_000_000_250 })
      await b.write(p('dir/big.bin'), Readable.from([big]), { size: big.length, mtimeMs: 1_500_000_000_500 })
      // The MD5 known up front (a local source): it goes into CreateMultipartUpload instead.
      await b.write(p('dir/hashed.bin'), Readable.from([big]), {
        size: big.length,
        mtimeMs: 1_400_000_000_750,
        hashes: { md5: md5(big) },
      })
      const listed = JSON.parse(await rclone('lsjson', '-R', '--files-only', remote(b))) as {
        Path: string
        ModTime: string
      }[]
      const times = Object.fromEntries(listed.map((e) => [e.Path, Date.parse(e.ModTime)]))
      expect(times).toEqual({
        'small.txt': 1_600_000_000_250,
        'dir/big.bin': 1_500_000_000_500,
        'dir/hashed.bin': 1_400_000_000_750,
      })
      const sums = await rclone('md5sum', remote(b))
      expect(sums).toContain(`${md5(small)}  small.txt`)
      expect(sums).toContain(`${md5(big)}  dir/big.bin`)
      expect(sums).toContain(`${md5(big)}  dir/hashed.bin`)
    })

    it('syncflow reads the mtime and MD5 rclone stores (single part and multipart)', async () => {
      const b = backend('from-rclone')
      const dir = await mkdtemp(join(tmpdir(), 'syncflow-rclone-'))
      dirs.push(dir)
      const small = Buffer.from('from rclone')
      const big = randomBytes(12 * MiB)
      await writeFile(join(dir, 'small.txt'), small)
      await writeFile(join(dir, 'big.bin'), big)
      await utimes(join(dir, 'small.txt'), 1_600_000_000.25, 1_600_000_000.25)
      await utimes(join(dir, 'big.bin'), 1_500_000_000.5, 1_500_000_000.5)
      await rclone('copy', '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M', dir, remote(b))
      const s = await b.stat(p('small.txt'))
      const g = await b.stat(p('big.bin'))
      expect(s!.mtimeMs).toBeCloseTo(1_600_000_000_250, 0)
      expect(g!.mtimeMs).toBeCloseTo(1_500_000_000_500, 0)
      expect(g!.version).toMatch(/-\d+$/)
      expect(s!.hashes?.md5).toBe(md5(small))
      expect(g!.hashes?.md5).toBe(md5(big))
    })

    it('rclone finds nothing to do after syncflow synced files whose mtimes have nanoseconds', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'syncflow-rclone-'))
      dirs.push(dir)
      const src = join(dir, 'src')
      await mkdir(src)
      for (const [name, at] of [
        ['a.txt', '@1600000000.123456789'],
        ['b.txt', '@1700000000.000000001'],
      ]) {
        await writeFile(join(src, name!), name!)
        execFileSync('touch', ['-m', '-d', at!, join(src, name!)])
      }
      const b = backend('ns-to-rclone')
      const local = createLocalBackend({ root: src })
      opened.push(local)
      const events = await lastValueFrom(sync(local, b, { mode: 'mirror' }).pipe(toArray()))
      expect(events.filter((e) => e.type === 'completed')).toHaveLength(2)
      // With the mtime stored to the µs, rclone re-stamped each object (a copy onto itself each).
      const { stderr } = await run('rclone', ['sync', '--dry-run', '-v', src, remote(b)], { env: rcloneEnv })
      expect(stderr).not.toMatch(/modification time|Copied|Deleted/)
      expect(stderr).toMatch(/There was nothing to transfer/)
    })
  })
})
