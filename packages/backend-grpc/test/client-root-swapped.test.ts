import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { RelPath } from '@syncflow/core'
import { afterEach, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { startTestServer } from './helpers.js'

const cleanups: Array<() => Promise<unknown> | unknown> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

// Review h-rev-grpc: a client whose root lies below the served one (grpc://host/a/b) writes through
// a LocalBackend rooted at <root>/a/b. The server checks before each call that `a` is no symlink,
// but the backend opened its root by path (O_NOFOLLOW holds for the last component only): `a`
// swapped for a symlink between the check and the open sent the writes out of the served root
// (13 of 4,000 files; anyone who may change the tree can swap, a process on the server or a client
// with Move). The swaps run as fast as renames go in a process of their own; of up to 1,500 writes,
// some went out within the first hundred before the fix.
it('a directory above a client root swapped for a symlink over and over: no write ever lands outside the served root', async () => {
  const base = await mkdtemp(join(tmpdir(), 'grpc-root-swap-'))
  cleanups.push(() => rm(base, { recursive: true, force: true }))
  const root = join(base, 'root')
  const outside = join(base, 'outside')
  await mkdir(join(root, 'a/b'), { recursive: true })
  await mkdir(join(outside, 'b'), { recursive: true })
  const srv = await startTestServer({ root })
  cleanups.push(() => srv.stop())
  const client = await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/a/b` })
  cleanups.push(() => client.close())
  const swapper: ChildProcess = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('node:fs'); process.chdir(process.argv[1]); fs.symlinkSync(process.argv[2], 'a_sym')
       const end = Date.now() + 30000
       // A write that finds a missing makes it again: the swap then starts over with a new name.
       for (let k = 0; Date.now() < end; k++) {
         const step = (from, to) => { try { fs.renameSync(from, to); return true } catch { return false } }
         step('a', 'a' + k)
         if (!step('a_sym', 'a')) continue
         step('a', 'a_sym')
         step('a' + k, 'a')
       }`,
      root,
      outside,
    ],
    { stdio: 'ignore' },
  )
  cleanups.push(() => swapper.kill('SIGKILL'))
  const escaped = async (): Promise<string[]> => await readdir(join(outside, 'b'))
  let refused = 0
  for (let i = 0; i < 1500 && (await escaped()).length === 0; i += 16) {
    await Promise.all(
      Array.from({ length: 16 }, (_, j) =>
        client
          .write(`f${i + j}` as RelPath, Readable.from([Buffer.from('x')]), { mtimeMs: 1_700_000_000_000 })
          .catch(() => refused++),
      ),
    )
  }
  swapper.kill('SIGKILL')
  expect(await escaped()).toEqual([])
  // The swaps did meet the writes (each refused while `a` was a symlink or missing).
  expect(refused).toBeGreaterThan(0)
}, 90_000)
