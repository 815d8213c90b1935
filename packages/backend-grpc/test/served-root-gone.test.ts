import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rejectionOf, writeText } from '@syncflow/core/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { startTestServer } from './helpers.js'

let tmp: string
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'served-root-gone-'))
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

it('a served directory that is gone (an unmounted disk) is not made again: every call fails, nothing is written', async () => {
  const root = join(tmp, 'backup')
  await mkdir(root)
  const { server, stop } = await startTestServer({ root })
  try {
    const uri = `grpc://127.0.0.1:${server.port}/host1`
    const target = await createGrpcBackend({ uri })
    // What an unmounted disk leaves at the mount point: nothing, or an empty directory of the disk below.
    await rename(root, join(tmp, 'elsewhere'))
    expect(await rejectionOf(writeText(target, 'f.txt', 'data'))).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('the served directory is gone'),
    })
    await target.close()
    expect(await rejectionOf(createGrpcBackend({ uri }))).toMatchObject({ code: 'NOT_FOUND' })
    expect(existsSync(root)).toBe(false)

    await mkdir(root) // another directory at the same path: not the one served
    expect(await rejectionOf(createGrpcBackend({ uri }))).toMatchObject({
      message: expect.stringContaining('no longer the one served'),
    })
    expect(existsSync(join(root, 'host1'))).toBe(false)
  } finally {
    await stop()
  }
})
