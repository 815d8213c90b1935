import { Readable } from 'node:stream'
import type { RelPath } from '@syncflow/core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type CountingProxy, startCountingProxy } from './counting-proxy.js'
import { testBackend, uniquePrefix } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

/**
 * The SDK's retries under throttling that lasts: its retry quota is one per client (500 tokens, 5
 * a retry), so once many requests were retried, none was any more, and every 503 failed a file.
 */
describeS3('S3 retries after many throttled requests', (env) => {
  let proxy: CountingProxy
  let prefix: string
  /** HEADs still to answer 500 InternalError. */
  let failing = 0

  beforeAll(async () => {
    prefix = uniquePrefix(env, 'quota')
    proxy = await startCountingProxy(env.endpoint, {
      answer: (op) => {
        if (op !== 'HEAD' || failing === 0) return undefined
        failing--
        return { status: 500, contentType: 'application/xml', body: '' }
      },
    })
    const s3 = testBackend(env, { prefix })
    await s3.write('a.txt' as RelPath, Readable.from([Buffer.from('a')]), { size: 1, mtimeMs: Date.now() })
    await s3.close()
  })
  afterAll(async () => {
    await proxy?.close()
  })

  it('a request is still retried after 60 others failed every try', async () => {
    const s3 = testBackend(env, { prefix, endpoint: proxy.url })
    try {
      // 60 stats whose 3 tries all fail: 120 retries, more than the client's quota held.
      failing = 180
      const settled = await Promise.allSettled(Array.from({ length: 60 }, () => s3.stat('a.txt' as RelPath)))
      expect(settled.every((r) => r.status === 'rejected')).toBe(true)
      expect(failing).toBe(0)
      // One 500 more: the next stat's first try fails, its retry gets the object.
      failing = 1
      await expect(s3.stat('a.txt' as RelPath)).resolves.toMatchObject({ path: 'a.txt', size: 1 })
      expect(failing).toBe(0)
    } finally {
      failing = 0
      await s3.close()
    }
  })
})
