import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import {
  type Backend,
  bisync,
  type CompletedEvent,
  type DoneEvent,
  MemoryStateStore,
  type SyncEvent,
} from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { mirrorAndClose, pseudoRandom, serverBehindProxy } from './helpers.js'

// A renamed directory pushed to a `syncflow serve`: the server renames its copy (its hash computed
// there, the local one here), and the file's bytes do not cross the wire again.

const SIZE = 4 << 20
const env = serverBehindProxy('grpc-renames-')

const done = (events: SyncEvent[]): DoneEvent => events.find((e): e is DoneEvent => e.type === 'done')!

describe('a mirror to a syncflow serve tracks renames', () => {
  it('renames the file on the server: the move is done there, and far less than the file crosses the wire', async () => {
    const data = pseudoRandom(SIZE, 7)
    await mkdir(join(env.local, 'push', 'old'), { recursive: true })
    await writeFile(join(env.local, 'push', 'old', 'big.bin'), data)
    const target = () => createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/push` })
    const first = await mirrorAndClose(createLocalBackend({ root: join(env.local, 'push') }), await target())
    expect(done(first).summary.failed).toBe(0)
    const inode = (await stat(join(env.srv.dir, 'push', 'old', 'big.bin'))).ino

    await rename(join(env.local, 'push', 'old'), join(env.local, 'push', 'new'))
    env.proxy.reset()
    const events = await mirrorAndClose(createLocalBackend({ root: join(env.local, 'push') }), await target())
    expect(done(events).summary.failed).toBe(0)
    const moves = events.filter((e): e is CompletedEvent => e.type === 'completed' && e.action.kind === 'move')
    expect(moves.map((m) => `${m.action.from} → ${m.action.path}`)).toEqual(['old/big.bin → new/big.bin'])
    expect(done(events).summary.bytesTransferred).toBe(0)
    expect(env.proxy.up()).toBeLessThan(64 * 1024)
    expect((await stat(join(env.srv.dir, 'push', 'new', 'big.bin'))).ino).toBe(inode)
    expect((await readFile(join(env.srv.dir, 'push', 'new', 'big.bin'))).equals(data)).toBe(true)
    await expect(stat(join(env.srv.dir, 'push', 'old'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})

describe('bisync with a syncflow serve tracks renames', () => {
  const state = new MemoryStateStore()
  const both = async (): Promise<SyncEvent[]> => {
    const a: Backend = createLocalBackend({ root: join(env.local, 'two') })
    const b: Backend = await createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/two` })
    try {
      return await lastValueFrom(bisync(a, b, { state }).pipe(toArray()))
    } finally {
      await a.close()
      await b.close()
    }
  }
  const movesOf = (events: SyncEvent[]): string[] =>
    events.flatMap((e) =>
      e.type === 'completed' && e.action.kind === 'move' ? [`${e.action.to} ${e.action.from} → ${e.action.path}`] : [],
    )

  it('a file renamed on either side is renamed on the other: the server renames its copy, the bytes stay put', async () => {
    const data = pseudoRandom(SIZE, 8)
    await mkdir(join(env.local, 'two', 'old'), { recursive: true })
    await mkdir(join(env.srv.dir, 'two'), { recursive: true })
    await writeFile(join(env.local, 'two', 'old', 'big.bin'), data)
    expect(done(await both()).summary.failed).toBe(0)
    const inode = (await stat(join(env.srv.dir, 'two', 'old', 'big.bin'))).ino

    // Renamed here: renamed on the server.
    await rename(join(env.local, 'two', 'old'), join(env.local, 'two', 'new'))
    env.proxy.reset()
    const pushed = await both()
    expect(done(pushed).summary.failed).toBe(0)
    expect(movesOf(pushed)).toEqual(['b old/big.bin → new/big.bin'])
    expect(env.proxy.up()).toBeLessThan(64 * 1024)
    expect((await stat(join(env.srv.dir, 'two', 'new', 'big.bin'))).ino).toBe(inode)

    // Renamed on the server: renamed here, nothing read from the server but its hash.
    const localInode = (await stat(join(env.local, 'two', 'new', 'big.bin'))).ino
    await rename(join(env.srv.dir, 'two', 'new', 'big.bin'), join(env.srv.dir, 'two', 'new', 'moved.bin'))
    env.proxy.reset()
    const pulled = await both()
    expect(done(pulled).summary.failed).toBe(0)
    expect(movesOf(pulled)).toEqual(['a new/big.bin → new/moved.bin'])
    expect(env.proxy.down()).toBeLessThan(64 * 1024)
    expect((await stat(join(env.local, 'two', 'new', 'moved.bin'))).ino).toBe(localInode)
    expect((await readFile(join(env.local, 'two', 'new', 'moved.bin'))).equals(data)).toBe(true)
  })
})
