import { createHash } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryStateStore, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterEach, expect, it } from 'vitest'
// A test-only import of the sibling package (not a dependency of this one).
import { createLocalBackend } from '../../backend-local/src/index.js'
import { standInBackend, standInServer } from './stand-in-server.js'

/**
 * Objects a lifecycle rule moved to an archive class (GLACIER, DEEP_ARCHIVE) cannot be read until
 * restored: AWS answers their GET with 403 InvalidObjectState. Taken for a credentials refusal
 * (AUTH: "check that they are valid"), the first three stopped a restore as "refused for
 * credentials, none accepted" (exit 2), and the objects still readable were never copied (QA 31h).
 * radosgw has no archive class, so a stand-in plays AWS here.
 */
let dir: string | undefined
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

const md5 = (s: string) => createHash('md5').update(s).digest('hex')
const objects = [
  // More than the engine runs at once, so that the first transfers to settle are all archived ones.
  ...Array.from({ length: 100 }, (_, i) => `a${String(i).padStart(3, '0')}`).map((name) => ({
    name,
    body: `archived ${name}\n`,
    storageClass: 'GLACIER',
  })),
  ...['b1', 'b2'].map((name) => ({ name, body: `readable ${name}\n`, storageClass: 'STANDARD' })),
]

it('an archived object fails alone, saying to restore it; the readable ones are copied', async () => {
  const { url } = await standInServer((req, res) => {
    const path = decodeURIComponent(req.url.split('?')[0] ?? '')
    if (req.method === 'GET' && req.url.includes('list-type=2')) {
      res.setHeader('Content-Type', 'application/xml')
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>bkt</Name><Prefix>p/</Prefix><KeyCount>${objects.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${objects
          .map(
            (o) =>
              `<Contents><Key>p/${o.name}</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>"${md5(o.body)}"</ETag><Size>${o.body.length}</Size><StorageClass>${o.storageClass}</StorageClass></Contents>`,
          )
          .join('')}</ListBucketResult>`,
      )
      return
    }
    const o = objects.find((x) => path === `/bkt/p/${x.name}`)
    if (path === '/bkt' || path === '/bkt/') {
      res.end() // HeadBucket: the bucket is there
      return
    }
    if (o === undefined) {
      res.statusCode = 404
      res.end()
      return
    }
    res.setHeader('ETag', `"${md5(o.body)}"`)
    res.setHeader('Last-Modified', 'Mon, 01 Jan 2024 00:00:00 GMT')
    if (o.storageClass !== 'STANDARD') res.setHeader('x-amz-storage-class', o.storageClass)
    if (req.method === 'GET' && o.storageClass !== 'STANDARD') {
      res.statusCode = 403
      res.setHeader('Content-Type', 'application/xml')
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidObjectState</Code><Message>The operation is not valid for the object's storage class</Message><StorageClass>${o.storageClass}</StorageClass></Error>`,
      )
      return
    }
    res.setHeader('Content-Length', String(o.body.length))
    res.end(req.method === 'HEAD' ? undefined : o.body)
  })
  const target = await mkdtemp(join(tmpdir(), 'syncflow-archived-'))
  dir = target
  const source = standInBackend(url)
  const local = createLocalBackend({ root: target })
  const events = await lastValueFrom(
    sync(source, local, { mode: 'mirror', state: new MemoryStateStore() }).pipe(toArray()),
  )
  await local.close()
  const failed = events.flatMap((e) => (e.type === 'failed' ? [e] : []))
  expect(failed.map((e) => e.path).sort()).toEqual(objects.slice(0, 100).map((o) => o.name))
  for (const e of failed) {
    expect(e.error.code).toBe('PERMISSION')
    expect(e.error.message).toContain('GLACIER')
    expect(e.error.hint).toMatch(/restore/)
  }
  expect((await readdir(target)).sort()).toEqual(['b1', 'b2'])
  const done = events.at(-1)
  expect(done?.type === 'done' && done.summary.fatal).toBeUndefined()
})
