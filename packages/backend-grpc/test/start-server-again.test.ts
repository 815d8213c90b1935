import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { startServer } from '../src/index.js'
import { startServerAgain } from './start-server-again.js'

// The helper of the tests that restart a server on its port: a port someone else holds meanwhile
// is waited for, not taken for a failure of the test.

it('startServerAgain binds the port once the one who held it lets go; another failure fails at once', async () => {
  const root = await mkdtemp(join(tmpdir(), 'start-again-'))
  const holder = createServer()
  holder.listen(0, '127.0.0.1')
  await once(holder, 'listening')
  const port = (holder.address() as { port: number }).port
  try {
    let bound = false
    const again = startServerAgain({ root, listen: `127.0.0.1:${port}` }).then((s) => {
      bound = true
      return s
    })
    // Refused while held (the same bind, made here, fails as the helper's tries do).
    await expect(startServer({ root, listen: `127.0.0.1:${port}` })).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('the port is in use'),
    })
    expect(bound).toBe(false)
    await new Promise<void>((resolve) => holder.close(() => resolve()))
    const server = await again
    expect(server.port).toBe(port)
    await server.close({ graceMs: 0 })

    const missing = join(root, 'missing')
    await expect(startServerAgain({ root: missing, listen: '127.0.0.1:0' })).rejects.toMatchObject({
      message: expect.stringContaining(missing),
    })
  } finally {
    holder.close()
    await rm(root, { recursive: true, force: true })
  }
})
