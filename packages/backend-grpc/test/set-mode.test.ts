import { chmod, mkdir, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import type { CompletedEvent } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { mirrorAndClose, pseudoRandom, serverBehindProxy } from './helpers.js'

// A chmod alone, pushed to a `syncflow serve` target: set in place on the server (SetMode), as on a
// local target, where it rewrote the whole file (a delta of it: both sides read it through).

const env = serverBehindProxy('grpc-set-mode-')

describe('a change of mode alone to a grpc:// target', () => {
  it('is a touch said chmod: the same file on the server gets the mode, and no content crosses the wire', async () => {
    const src = join(env.local, 'src')
    await mkdir(src, { recursive: true })
    const file = join(src, 'big.bin')
    await writeFile(file, pseudoRandom(4 << 20, 7))
    await utimes(file, 1_700_000_000, 1_700_000_000)
    await chmod(file, 0o644)
    const target = async () => createGrpcBackend({ uri: `grpc://127.0.0.1:${env.proxy.port}/m` })
    expect((await mirrorAndClose(createLocalBackend({ root: src }), await target())).at(-1)).toMatchObject({
      summary: { failed: 0, done: { copy: 1 } },
    })
    const served = join(env.srv.dir, 'm', 'big.bin')
    const inode = (await stat(served)).ino
    await chmod(file, 0o600)
    env.proxy.reset()
    const events = await mirrorAndClose(createLocalBackend({ root: src }), await target())
    expect(events.at(-1)).toMatchObject({
      summary: { failed: 0, done: { touch: 1, update: 0 }, fileModesSet: { done: 1 } },
    })
    const done = events.filter((e): e is CompletedEvent => e.type === 'completed')
    expect(done.map((e) => `${e.action.kind} ${e.action.reason}`)).toEqual(['touch mode differs'])
    const now = await stat(served)
    expect(now.mode & 0o7777).toBe(0o600)
    expect(now.ino).toBe(inode)
    expect(now.mtimeMs).toBe(1_700_000_000_000)
    expect(env.proxy.up()).toBeLessThan(64 * 1024) // a listing and a call, not 4 MiB nor a delta's signatures
  })
})
