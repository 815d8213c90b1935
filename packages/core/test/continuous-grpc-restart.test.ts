import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createGrpcBackend, type RunningServer, startServer } from '@syncflow/backend-grpc'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { listenAgain, local, removeTempDirs, startJob, stopJobs, tempDirs, tree } from './continuous-local-helpers.js'

// `watch grpc://… DST` while the server restarts: a real `syncflow serve` (in process) on a
// real directory, stopped and started again on the same port.

const servers: RunningServer[] = []
afterEach(async () => {
  stopJobs()
  for (const s of servers.splice(0)) await s.close({ graceMs: 0 })
})
afterAll(removeTempDirs)

async function serve(root: string, port = 0): Promise<RunningServer> {
  const server = await listenAgain(() => startServer({ root, listen: `127.0.0.1:${port}` }))
  servers.push(server)
  return server
}

describe('continuousSync from a gRPC source', () => {
  it('goes on through a server restart, and ships what changed while it was down', async () => {
    const { src, dst } = await tempDirs()
    await writeFile(join(src, 'first.txt'), '1')
    const server = await serve(src)
    const source = await createGrpcBackend({ uri: `grpc://127.0.0.1:${server.port}/` })
    const job = startJob(source, local(dst), { retryLaterMs: 50, retryLaterMaxMs: 500 })
    await expect.poll(() => tree(dst), { timeout: 10_000 }).toEqual({ 'first.txt': '1' })

    servers.splice(servers.indexOf(server), 1)
    await server.close({ graceMs: 0 })
    await expect.poll(() => job.failures().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1)
    expect(job.failures()[0]).toMatchObject({ stage: 'list', error: { code: 'TRANSIENT' } })
    await writeFile(join(src, 'while-down.txt'), '2')
    await rm(join(src, 'first.txt'))
    expect(job.ended()).toBe(false)

    await serve(src, server.port)
    await expect.poll(() => tree(dst), { timeout: 20_000 }).toEqual({ 'while-down.txt': '2' })
    // Its events again: a change made now arrives without a rescan.
    await writeFile(join(src, 'after.txt'), '3')
    await expect.poll(() => tree(dst), { timeout: 10_000 }).toEqual({ 'while-down.txt': '2', 'after.txt': '3' })
    expect(job.events.some((e) => e.type === 'notice' && e.code === 'POLLING')).toBe(false)
    expect(job.ended()).toBe(false)
    // The job's total says how things are now: the outage is over (the events tell it).
    expect((await job.stop()).summary).toMatchObject({ failed: 0, listingErrors: 0, errorCodes: {} })
    await source.close()
  })
})
