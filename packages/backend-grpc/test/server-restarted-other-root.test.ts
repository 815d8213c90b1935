import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import { type DoneEvent, MemoryStateStore, type SyncEvent, sync } from '@syncflow/core'
import { lastValueFrom, tap, toArray } from 'rxjs'
import { afterEach, expect, it } from 'vitest'
import { createGrpcBackend, type RunningServer } from '../src/index.js'
import { startTestServer } from './helpers.js'
import { startServerAgain } from './start-server-again.js'

// fx27c #3: `syncflow serve --root dstr` killed mid-run and another `syncflow serve --root other`
// started on its port: grpc-js reconnected by itself and the run wrote the rest into `other`, then
// said every file was copied (exit 0). The client now sends the served directory's identity it
// learned at Hello on every call; a server that serves another one refuses it and the run stops.

const FILES = 200

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** A mirror of FILES small files into a server that is replaced after the fifth file by `restart`. */
async function mirrorWithRestart(restart: (port: number, first: string) => Promise<RunningServer>) {
  const src = await tempDir('other-root-src-')
  for (let i = 0; i < FILES; i++) await writeFile(join(src, `f${String(i).padStart(3, '0')}.txt`), `file ${i}\n`)
  const srv = await startTestServer()
  cleanups.push(srv.stop)
  await writeFile(join(srv.dir, 'extra.txt'), 'only on the target')
  const port = srv.server.port
  const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/` })
  cleanups.push(() => target.close())
  let again: Promise<RunningServer> | undefined
  let copied = 0
  const events: SyncEvent[] = await lastValueFrom(
    sync(createLocalBackend({ root: src }), target, { mode: 'mirror', state: new MemoryStateStore() }).pipe(
      tap((e) => {
        if (e.type === 'completed' && ++copied === 5) {
          again = srv.server.close({ graceMs: 0 }).then(() => restart(port, srv.dir))
        }
      }),
      toArray(),
    ),
  )
  cleanups.push(async () => (await again)?.close({ graceMs: 0 }))
  return { port, first: srv.dir, done: (events.at(-1) as DoneEvent).summary }
}

it('a server restarted mid-run on another root is refused: nothing written there, the run stops (fatal), nothing deleted', async () => {
  const other = await tempDir('other-root-')
  await writeFile(join(other, 'kept.txt'), 'of the other root')
  const { port, first, done } = await mirrorWithRestart((p) =>
    startServerAgain({ root: other, listen: `127.0.0.1:${p}` }),
  )
  expect(done.fatal).toMatchObject({
    code: 'TRANSIENT',
    message: expect.stringContaining(`stopped: the server at 127.0.0.1:${port} now serves another directory`),
    hint: expect.stringContaining('run'),
  })
  // Not a single file landed in the other root, and nothing of it was deleted.
  expect(await readdir(other)).toEqual(['kept.txt'])
  expect(done.done.delete).toBe(0)
  expect(await readdir(first)).toContain('extra.txt')
  // It stopped at once: not every file left failed one by one.
  expect(done.done.copy + done.failed).toBeLessThan(FILES)
})

it('a server restarted on another root while the deletes run: none runs there, the rest are not tried, the run stops', async () => {
  const src = await tempDir('other-root-src-')
  await writeFile(join(src, 'a.txt'), 'a')
  const srv = await startTestServer()
  cleanups.push(srv.stop)
  const other = await tempDir('other-root-')
  // The same names (and sizes) on both: only the served directory tells them apart.
  for (let i = 0; i < 100; i++) {
    await writeFile(join(srv.dir, `old${i}`), 'x')
    await writeFile(join(other, `old${i}`), 'y')
  }
  const port = srv.server.port
  const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/` })
  cleanups.push(() => target.close())
  let again: Promise<RunningServer> | undefined
  let deleted = 0
  const events: SyncEvent[] = await lastValueFrom(
    sync(createLocalBackend({ root: src }), target, { mode: 'mirror', maxDelete: { count: 1000 } }).pipe(
      tap((e) => {
        if (e.type === 'completed' && e.action.kind === 'delete' && ++deleted === 5) {
          again = srv.server
            .close({ graceMs: 0 })
            .then(() => startServerAgain({ root: other, listen: `127.0.0.1:${port}` }))
        }
      }),
      toArray(),
    ),
  )
  cleanups.push(async () => (await again)?.close({ graceMs: 0 }))
  const done = (events.at(-1) as DoneEvent).summary
  expect(done.fatal?.message).toContain(`stopped: the server at 127.0.0.1:${port} now serves another directory`)
  expect((await readdir(other)).length).toBe(100)
  // Those in flight failed; the rest were not tried one by one.
  expect(done.failed).toBeLessThan(20)
  expect((await readdir(srv.dir)).length).toBeGreaterThan(50)
})

it('a server restarted mid-run on the same root, by another name for it, is the same one: the run goes on to the end', async () => {
  const link = join(await tempDir('other-root-link-'), 'same')
  const { symlink } = await import('node:fs/promises')
  const { done } = await mirrorWithRestart(async (p, first) => {
    await symlink(first, link)
    return startServerAgain({ root: link, listen: `127.0.0.1:${p}` })
  })
  expect(done.fatal).toBeUndefined()
  expect(done.failed).toBe(0)
  expect(done.done.copy).toBe(FILES)
})

it('on the wire: Hello tells the served directory; a call naming another is refused (FAILED_PRECONDITION, marked), one naming none is served', async () => {
  const srv = await startTestServer()
  cleanups.push(srv.stop)
  await writeFile(join(srv.dir, 'a.txt'), 'a')
  const { loadProtocol } = await import('../src/wire/load-protocol.js')
  const { grpc, proto } = await loadProtocol()
  const raw = new proto.syncflow.v1.Syncflow(`127.0.0.1:${srv.server.port}`, grpc.credentials.createInsecure())
  cleanups.push(async () => raw.close())
  const hello = await new Promise<{ servedRootId: string }>((resolve, reject) =>
    raw.Hello({ root: '', protocol: 2 }, (err, res) => (err || !res ? reject(err) : resolve(res))),
  )
  // machine:device:inode, as a DirectoryChain's ids.
  expect(hello.servedRootId).toMatch(/^.+:\d+:\d+$/)
  const stat = (id?: string) => {
    const md = new grpc.Metadata()
    if (id !== undefined) md.set('syncflow-root-id', id)
    return new Promise<{ code?: number; trailer?: unknown; found?: boolean }>((resolve) =>
      raw.Stat({ root: '', path: 'a.txt' }, md, (err, res) =>
        resolve(
          err
            ? { code: err.code, trailer: err.metadata.get('syncflow-root-changed')[0] }
            : { found: res?.found ?? false },
        ),
      ),
    )
  }
  expect(await stat()).toEqual({ found: true })
  expect(await stat(hello.servedRootId)).toEqual({ found: true })
  expect(await stat(`${hello.servedRootId}0`)).toEqual({ code: grpc.status.FAILED_PRECONDITION, trailer: '1' })
})
