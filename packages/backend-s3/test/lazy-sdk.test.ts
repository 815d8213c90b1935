import { createRequire } from 'node:module'
import type { RelPath } from '@syncflow/core'
import { expect, it } from 'vitest'

// This file imports nothing that loads the AWS SDK itself, and runs in its own process (vitest's
// forks pool isolates files), so the module cache shows exactly what the backend loaded.
const loadedSdk = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@aws-sdk/'))

it('loads the AWS SDK on first use, not when the package is imported or a backend created', async () => {
  const { createS3Backend, s3Backend } = await import('../src/index.js')
  const b = createS3Backend({
    bucket: 'b',
    endpoint: 'http://127.0.0.1:9',
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
  })
  expect(s3Backend.schemes).toEqual(['s3'])
  expect(loadedSdk()).toEqual([])
  await b.stat('x' as RelPath).catch(() => undefined)
  expect(loadedSdk()).not.toEqual([])
  await b.close()
})
