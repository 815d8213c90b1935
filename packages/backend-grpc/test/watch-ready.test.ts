import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Server, ServerWritableStream } from '@grpc/grpc-js'
import { createLocalBackend } from '@syncflow/backend-local'
import type { Backend, Change, SyncEvent, Watchable } from '@syncflow/core'
import { continuousSync } from '@syncflow/core/continuous'
import { Observable, type Subscription } from 'rxjs'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { HelloReply } from '../src/generated/syncflow/v1/HelloReply.js'
import type { WatchReply } from '../src/generated/syncflow/v1/WatchReply.js'
import { createGrpcBackend, type GrpcBackend } from '../src/index.js'
import { LocalTree } from '../src/server/local-tree.js'
import type { ServedTree } from '../src/server/served-tree.js'
import { loadProtocol } from '../src/wire/load-protocol.js'
import { startTestServer } from './helpers.js'
import { testServiceHandlers } from './service-harness.js'

// A `syncflow watch grpc://…/job DIR` took its initial snapshot as soon as it asked the server to
// watch, before the server's watcher was armed (a recursive watcher walks the tree first): a change
// made on the server in between was in neither the snapshot nor the events, and waited for the next
// rescan (an hour by default). The server now says when its watcher is armed, and the client waits.

let served: string
let local: string
let server: Server | undefined
const cleanup: Array<() => unknown> = []

beforeEach(async () => {
  served = await mkdtemp(join(tmpdir(), 'sf-watch-ready-srv-'))
  local = await mkdtemp(join(tmpdir(), 'sf-watch-ready-dst-'))
  await mkdir(join(served, 'job'))
  await writeFile(join(served, 'job', 'a.txt'), 'a')
})

afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
  server?.forceShutdown()
  server = undefined
  await rm(served, { recursive: true, force: true })
  await rm(local, { recursive: true, force: true })
})

/** The real service over the real directory `root`, `tree` and handlers adapted by the caller. */
async function serve(
  root: string,
  adapt: { tree?: (t: ServedTree) => ServedTree; older?: boolean } = {},
): Promise<number> {
  const protocol = await loadProtocol()
  const real = await LocalTree.open(root)
  const tree = adapt.tree ? adapt.tree(real) : real
  const handlers = testServiceHandlers(tree, protocol)
  if (adapt.older) {
    // A server from before "watchReady": it does not offer it, and its Watch sends only changes.
    type Callback = (err: unknown, reply?: HelloReply) => void
    const hello = handlers.Hello as (call: unknown, cb: Callback) => void
    handlers.Hello = ((call: unknown, cb: Callback) =>
      hello(call, (err, reply) =>
        cb(err, reply && { ...reply, features: (reply.features ?? []).filter((f) => f !== 'watchReady') }),
      )) as typeof handlers.Hello
    const watch = handlers.Watch as (call: ServerWritableStream<unknown, WatchReply>) => void
    handlers.Watch = ((call: ServerWritableStream<unknown, WatchReply>) => {
      const write = call.write.bind(call) as (m: WatchReply) => boolean
      call.write = ((m: WatchReply) => (m.ready === true ? true : write(m))) as typeof call.write
      watch(call)
    }) as typeof handlers.Watch
  }
  const s = new protocol.grpc.Server()
  server = s
  s.addService(protocol.proto.syncflow.v1.Syncflow.service, handlers)
  return new Promise<number>((resolve, reject) =>
    s.bindAsync('127.0.0.1:0', protocol.grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  )
}

/**
 * `tree` whose backends' watchers are armed (subscribed to the real one, which then walks the tree
 * and says it is ready) only once `armed` resolves: a server whose tree is large enough that its
 * watcher is armed after a client's listing of it is done. `watching` says a Watch call reached it,
 * `ready` that the real watcher said it reports every change from now on.
 */
function lateWatcher(armed: Promise<void> = Promise.resolve()): {
  tree: (t: ServedTree) => ServedTree
  watching: () => boolean
  ready: () => boolean
} {
  let watching = false
  let ready = false
  const tree = (t: ServedTree): ServedTree =>
    new Proxy(t, {
      get(target, p) {
        const v = Reflect.get(target, p, target)
        if (p !== 'backend' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v
        return async (sub: string) => {
          const b = (await v.call(target, sub)) as Backend & Watchable
          return new Proxy(b, {
            get(bt, bp) {
              const bv = Reflect.get(bt, bp, bt)
              if (bp !== 'watch') return typeof bv === 'function' ? bv.bind(bt) : bv
              return (opts: Parameters<Watchable['watch']>[0] = {}) =>
                new Observable<Change>((subscriber) => {
                  watching = true
                  let inner: Subscription | undefined
                  let closed = false
                  const onReady = () => {
                    ready = true
                    opts.onReady?.()
                  }
                  void armed.then(() => {
                    if (!closed) inner = b.watch({ ...opts, onReady }).subscribe(subscriber)
                  })
                  return () => {
                    closed = true
                    inner?.unsubscribe()
                  }
                })
            },
          })
        }
      },
    })
  return { tree, watching: () => watching, ready: () => ready }
}

/** A continuous mirror of `source` into `local` whose rescan is an hour away: what it emits so far. */
function watchJob(source: Backend): { events: SyncEvent[]; initialDone: () => boolean } {
  const events: SyncEvent[] = []
  const abort = new AbortController()
  const target = createLocalBackend({ root: local })
  const sub = continuousSync(source, target, {
    mode: 'mirror',
    debounceMs: 10,
    rescanMs: 3_600_000,
    signal: abort.signal,
  }).subscribe({ next: (e) => events.push(e) })
  cleanup.push(async () => {
    abort.abort()
    sub.unsubscribe()
    await target.close()
  })
  return { events, initialDone: () => events.some((e) => e.type === 'done' && e.trigger === 'initial') }
}

async function open(port: number): Promise<GrpcBackend> {
  const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/job` })
  cleanup.push(() => b.close())
  return b
}

it('a watch of a syncflow serve says when the server watcher is armed, and reports a change made right after', async () => {
  const srv = await startTestServer({ root: served })
  cleanup.push(() => srv.stop())
  const source = await open(srv.server.port)
  expect(source.capabilities.watchReady).toBe(true)
  const changes: string[] = []
  let ready = false
  const sub = source.watch({ onReady: () => (ready = true) }).subscribe((c) => changes.push(c.path))
  cleanup.push(() => sub.unsubscribe())

  await expect.poll(() => ready).toBe(true)
  await writeFile(join(served, 'job', 'b.txt'), 'b')
  await expect.poll(() => changes).toContain('b.txt')
})

it("a watch job's initial sync waits for the server's watcher, so a change right after it syncs without a rescan", async () => {
  let arm = () => {}
  const armed = new Promise<void>((resolve) => (arm = resolve))
  const late = lateWatcher(armed)
  const port = await serve(served, { tree: late.tree })
  const client = await open(port)
  // Arms the server's watcher once the client waits for its word (the engine hands its watch an
  // `onReady`); a client that does not is let take its snapshot first, as against a large tree.
  const source = new Proxy(client, {
    get(t, p) {
      const v = Reflect.get(t, p, t)
      if (p !== 'watch') return typeof v === 'function' ? v.bind(t) : v
      return (opts: { onReady?: () => void } = {}) => {
        if (opts.onReady) arm()
        return t.watch(opts)
      }
    },
  })
  const job = watchJob(source)

  await expect.poll(late.watching).toBe(true)
  await expect.poll(job.initialDone, { timeout: 10_000 }).toBe(true)
  expect(await readFile(join(local, 'a.txt'), 'utf8')).toBe('a')
  // Right after the initial sync's `done`: the job says it is watching from then on.
  await writeFile(join(served, 'job', 'b.txt'), 'b')
  arm()
  await expect.poll(() => readFile(join(local, 'b.txt'), 'utf8').catch(() => undefined), { timeout: 10_000 }).toBe('b')
})

it('a server from before the ready message is watched as before: ready at once, its changes synced', async () => {
  const spy = lateWatcher()
  const port = await serve(served, { tree: spy.tree, older: true })
  const source = await open(port)
  expect(source.capabilities.watch).toBe('native')
  expect(source.capabilities.watchReady).toBeUndefined()
  const job = watchJob(source)

  await expect.poll(job.initialDone, { timeout: 10_000 }).toBe(true)
  expect(await readFile(join(local, 'a.txt'), 'utf8')).toBe('a')
  // Such a server's watcher may be armed after the initial sync (the client cannot know): a change
  // made once it is, is synced at once.
  await expect.poll(spy.ready).toBe(true)
  await writeFile(join(served, 'job', 'b.txt'), 'b')
  await expect.poll(() => readFile(join(local, 'b.txt'), 'utf8').catch(() => undefined), { timeout: 10_000 }).toBe('b')
})
