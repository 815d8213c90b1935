import { type AddressInfo, createServer } from 'node:net'
import { startServer } from '@syncflow/backend-grpc'
import { afterAll, expect, it } from 'vitest'
import { listenAgain, removeTempDirs, tempDirs } from './continuous-local-helpers.js'

// The gRPC restart tests start `serve` again on the port its first server had: held a moment by
// another process, that start is tried again (listenAgain), not failed.

afterAll(removeTempDirs)

it('listenAgain starts a server on a port held by another process once it is let go', async () => {
  const { src } = await tempDirs()
  const holder = createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  const port = (holder.address() as AddressInfo).port
  const refusals: string[] = []
  const server = await listenAgain(async () => {
    try {
      return await startServer({ root: src, listen: `127.0.0.1:${port}` })
    } catch (err) {
      refusals.push((err as Error).message)
      holder.close() // let go after the first refusal
      throw err
    }
  })
  try {
    expect(refusals).toEqual([`cannot listen on 127.0.0.1:${port}: the port is in use`])
    expect(server.port).toBe(port)
  } finally {
    await server.close({ graceMs: 0 })
  }
})
