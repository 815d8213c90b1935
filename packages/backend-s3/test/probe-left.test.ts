import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RelPath } from '@syncflow/core'
import { afterEach, expect, it } from 'vitest'
import { standInBackend, standInServer } from './stand-in-server.js'

// A key that may write but not delete (an "append-only" backup key), played by a plain HTTP server:
// radosgw needs a second user and a bucket policy for it. Every DELETE is refused with 403.
let dir: string | undefined
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

const appendOnlyServer = () =>
  standInServer((req, res) => {
    if (req.method === 'DELETE') {
      res.statusCode = 403
      res.setHeader('Content-Type', 'application/xml')
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>denied</Message></Error>')
      return
    }
    res.setHeader('ETag', '"0123456789abcdef0123456789abcdef"')
    // A HEAD of the planned object: 5 bytes, the planned ETag.
    if (req.method === 'HEAD') res.setHeader('Content-Length', '5')
    res.end()
  })

it('a probe object that cannot be deleted is left once, not once per run (QA 16 F7)', async () => {
  const { url, seen } = await appendOnlyServer()
  const scratch = await mkdtemp(join(tmpdir(), 'syncflow-probe-left-'))
  dir = scratch
  const runOnce = async (): Promise<void> => {
    const b = standInBackend(url, { serviceMemory: join(scratch, 's3-services.json') })
    const planned = {
      path: 'gone' as RelPath,
      kind: 'file' as const,
      size: 5,
      mtimeMs: 0,
      version: '0123456789abcdef0123456789abcdef',
    }
    await expect(b.remove('gone' as RelPath, { expect: planned })).rejects.toMatchObject({ code: 'AUTH' })
    await b.close()
  }
  const probes = () => seen.filter((r) => r.method === 'PUT' && r.url.startsWith('/bkt/p/.syncflow-probe-')).length
  await runOnce()
  expect(probes()).toBe(1)
  await runOnce()
  await runOnce()
  expect(probes()).toBe(1)
})
