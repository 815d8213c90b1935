import { once } from 'node:events'
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { socketsOpenedIn } from '../src/sockets-opened-in.js'

let server: Server
let port: number
const clients: Socket[] = []

beforeAll(async () => {
  server = createServer((s) => s.on('error', () => {}))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  port = (server.address() as AddressInfo).port
})
afterAll(async () => {
  for (const c of clients) c.destroy()
  server.close()
  await once(server, 'close')
})

/** A socket to the test server, opened later in the async context of the caller (as grpc-js does). */
async function openLater(): Promise<Socket> {
  await new Promise((r) => setTimeout(r, 1))
  const s = connect(port, '127.0.0.1')
  s.on('error', () => {})
  clients.push(s)
  return s
}

/**
 * Whether promises made now carry an AsyncLocalStorage store, i.e. Node keeps its async hook on for
 * every promise the process makes (its internal `kResourceStore` mark, as Node 20 sets it).
 */
function storesOnPromises(): boolean {
  return Object.getOwnPropertySymbols(new Promise(() => {})).some((s) => String(s) === 'Symbol(kResourceStore)')
}

describe('socketsOpenedIn', () => {
  it('collects the sockets opened from its work, each collection its own, also while they overlap', async () => {
    const a = socketsOpenedIn(() => openLater())
    const b = socketsOpenedIn(() => openLater())
    const [sa, sb] = await Promise.all([a.result, b.result])
    const outside = await openLater()
    a.destroyConnecting()
    // a's socket, still connecting or not, is a's: b's and the one opened outside are not touched.
    expect(sb.destroyed).toBe(false)
    expect(outside.destroyed).toBe(false)
    expect(sa.destroyed || !sa.connecting).toBe(true)
    a.stop()
    // b still collects after a stopped (the storage they share is not turned off under it).
    const c = socketsOpenedIn(() => openLater())
    const sc = await c.result
    b.destroyConnecting()
    expect(sc.destroyed).toBe(false)
    b.stop()
    c.stop()
  })

  // Node 20 keeps an AsyncLocalStorage's hook on every promise once it has run, until disabled:
  // a gRPC run, connected once at its start, paid for it on every promise to its end (~3× the
  // cost of an await in a micro-benchmark).
  it('leaves no async hook on promises once every collection has stopped', async () => {
    expect(storesOnPromises()).toBe(false)
    const a = socketsOpenedIn(() => storesOnPromises())
    const b = socketsOpenedIn(() => openLater())
    await b.result
    expect(a.result).toBe(true) // the mark is what this Node sets while a collection runs
    a.stop()
    expect(storesOnPromises()).toBe(true) // b still runs
    b.stop()
    expect(storesOnPromises()).toBe(false)
    // Collecting again after that works as before.
    const c = socketsOpenedIn(() => storesOnPromises())
    expect(c.result).toBe(true)
    c.stop()
    expect(storesOnPromises()).toBe(false)
  })
})
