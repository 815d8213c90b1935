import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createGrpcBackend, type RunningServer, startServer } from '@syncflow/backend-grpc'
import { afterAll, afterEach, expect, it } from 'vitest'
import { listenAgain, local, removeTempDirs, startJob, stopJobs, tempDirs, tree } from './continuous-local-helpers.js'

// A watch into grpc:// whose server is restarted with another token: the cycles after it were
// refused one by one (`failed b.txt (on the target): AUTH … wrong token`, `#2: 1 failed`) and the
// watch went on syncing nothing, for ever; only the first cycle's refusal ended a job.

const servers: RunningServer[] = []
afterEach(async () => {
  stopJobs()
  for (const s of servers.splice(0)) await s.close({ graceMs: 0 })
})
afterAll(removeTempDirs)

async function serve(root: string, token: string, port = 0): Promise<RunningServer> {
  const server = await listenAgain(() => startServer({ root, listen: `127.0.0.1:${port}`, token }))
  servers.push(server)
  return server
}

it('a target that refuses the token in a later cycle ends the job with that refusal, as the first cycle would', async () => {
  const { src, dst } = await tempDirs()
  await writeFile(join(src, 'a.txt'), 'a')
  const server = await serve(dst, 'first')
  const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${server.port}/`, token: 'first' })
  const job = startJob(local(src), target)
  await expect.poll(() => tree(dst), { timeout: 10_000 }).toEqual({ 'a.txt': 'a' })

  servers.splice(servers.indexOf(server), 1)
  await server.close({ graceMs: 0 })
  await serve(dst, 'second', server.port)
  await writeFile(join(src, 'b.txt'), 'b')
  await expect.poll(() => job.failures().map((f) => f.error.code), { timeout: 10_000 }).toContain('AUTH')
  await expect.poll(() => job.ended(), { timeout: 5_000 }).toBe(true)
  const done = job.events.at(-1)
  expect(done).toMatchObject({ type: 'done', summary: { mode: 'watch', fatal: { code: 'AUTH' } } })
  expect(done?.type === 'done' && done.summary.fatal?.message).toMatch(/wrong token/)
  expect(await tree(dst)).toEqual({ 'a.txt': 'a' })
  await target.close()
})
