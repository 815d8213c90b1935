import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createMemBackend, type RelPath } from '@syncflow/core'
import { listFiles, rejectionOf, writeText } from '@syncflow/core/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { mirrorAndClose, startTestServer } from './helpers.js'

// QA 7 #9: `syncflow serve` keeps one local backend per client root. Once a client's sub-directory
// had been made, deleting it on the server host failed every later write into it ("ENOENT … open
// 'slow/.syncflow-tmp-…'") until serve restarted. rsync's daemon makes it again; so does serve now.

let root: string
let server: Awaited<ReturnType<typeof startTestServer>>
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'served-subdir-gone-'))
  server = await startTestServer({ root })
})
afterAll(async () => {
  await server.stop()
  await rm(root, { recursive: true, force: true })
})

const uriOf = (sub: string) => `grpc://127.0.0.1:${server.server.port}/${sub}`

async function source() {
  const src = createMemBackend()
  await writeText(src, 'm1', 'one')
  await writeText(src, 'sub/m2', 'two')
  return src
}

it('a sync into a served sub-directory deleted on the server makes it again, as the first sync did', async () => {
  const first = await mirrorAndClose(await source(), await createGrpcBackend({ uri: uriOf('slow') }))
  expect(first.filter((e) => e.type === 'failed')).toEqual([])
  await rm(join(root, 'slow'), { recursive: true })

  const again = await mirrorAndClose(await source(), await createGrpcBackend({ uri: uriOf('slow') }))
  expect(again.filter((e) => e.type === 'failed')).toEqual([])
  expect(await readFile(join(root, 'slow', 'm1'), 'utf8')).toBe('one')
  expect(await readFile(join(root, 'slow', 'sub', 'm2'), 'utf8')).toBe('two')
})

it('a client that stays connected (a watch) writes on into a sub-directory deleted under it, with its parents', async () => {
  const target = await createGrpcBackend({ uri: uriOf('host/watched') })
  try {
    await writeText(target, 'a', '1')
    await rm(join(root, 'host'), { recursive: true })
    await writeText(target, 'b', '2')
    await rm(join(root, 'host'), { recursive: true })
    await writeText(target, 'dir/c', '3')
    await rm(join(root, 'host'), { recursive: true })
    await target.mkdir?.('made' as RelPath)
    expect(existsSync(join(root, 'host', 'watched', 'made'))).toBe(true)
    expect(await listFiles(target)).toEqual([])
  } finally {
    await target.close()
  }
})

it('a served sub-directory replaced by a file: a CONFLICT naming it, never ENOENT of a temp name; the file is kept', async () => {
  const target = await createGrpcBackend({ uri: uriOf('byfile') })
  try {
    await writeText(target, 'a', '1')
    await rm(join(root, 'byfile'), { recursive: true })
    await writeFile(join(root, 'byfile'), 'a file now')
    for (const path of ['b', 'dir/c']) {
      const err = (await rejectionOf(writeText(target, path, 'x'))) as Error
      expect(err).toMatchObject({ code: 'CONFLICT' })
      expect(err.message).toContain(`grpc.write (${path}): the root byfile is not a directory`)
      expect(err.message).not.toContain('.syncflow-tmp-')
      expect(err.message).not.toContain(root) // the server's own path is not told
    }
    expect(await readFile(join(root, 'byfile'), 'utf8')).toBe('a file now')
  } finally {
    await target.close()
  }
})

it('a failed replace names the file asked for, not its temp file', async () => {
  await mkdir(join(root, 'names', 'd', 'x'), { recursive: true })
  const target = await createGrpcBackend({ uri: uriOf('names') })
  try {
    const err = (await rejectionOf(writeText(target, 'd', 'x'))) as Error
    expect(err.message).not.toContain('.syncflow-tmp-')
    expect(err.message).toContain('names/d')
  } finally {
    await target.close()
  }
})

it('a missing served sub-directory as a source stays missing: no sync makes it, none empties a target', async () => {
  const target = createMemBackend()
  await writeText(target, 'keep', 'kept')
  const events = await mirrorAndClose(await createGrpcBackend({ uri: uriOf('never-made') }), target)
  expect(events[0]).toMatchObject({ type: 'failed', error: { code: 'NOT_FOUND' } })
  expect(events.filter((e) => e.type === 'completed')).toEqual([])
  expect(events.at(-1)).toMatchObject({ type: 'done', summary: { planned: { delete: 0 } } })
  expect(existsSync(join(root, 'never-made'))).toBe(false)
})

// The report's own steps, with the real `syncflow serve` and `syncflow sync` (the built CLI).
const BIN = fileURLToPath(new URL('../../cli-tui/dist/bin.js', import.meta.url))

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr += d
  })
  // 'close', not 'exit': the last chunk of stderr can come after the exit.
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })))
}

it('syncflow serve: `sync DIR grpc://…/slow` again after `rm -rf ROOT/slow` on the server exits 0', async (ctx) => {
  if (!existsSync(BIN)) ctx.skip('the CLI is not built (npm run build)')
  const served = await mkdtemp(join(tmpdir(), 'served-subdir-cli-'))
  const src = await mkdtemp(join(tmpdir(), 'served-subdir-src-'))
  // The job's state in a directory of the test's own (a state store kept, as in the report).
  const state = `${await mkdtemp(join(tmpdir(), 'served-subdir-state-'))}/`
  await writeFile(join(src, 'm1'), 'one')
  const child = spawn(process.execPath, [BIN, 'serve', '--root', served, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  try {
    const port = await new Promise<string>((resolve, reject) => {
      let err = ''
      child.stderr.on('data', (d: Buffer) => {
        err += d
        const m = /grpc:\/\/[^\s]*:(\d+)\//.exec(err)
        if (m?.[1] !== undefined) resolve(m[1])
      })
      child.on('close', (code) => reject(new Error(`syncflow serve exited ${code}: ${err}`)))
    })
    const uri = `grpc://127.0.0.1:${port}/slow`
    expect(await run(['sync', '--state', state, src, uri])).toMatchObject({ code: 0 })
    await rm(join(served, 'slow'), { recursive: true })
    for (const args of [
      ['sync', '--state', state, src, uri],
      ['sync', '--no-state', src, uri],
    ]) {
      const { code, stderr } = await run(args)
      expect(stderr).not.toContain('.syncflow-tmp-')
      expect(code).toBe(0)
      expect(await readFile(join(served, 'slow', 'm1'), 'utf8')).toBe('one')
      await rm(join(served, 'slow'), { recursive: true })
    }
  } finally {
    child.kill('SIGKILL')
    await rm(served, { recursive: true, force: true })
    await rm(src, { recursive: true, force: true })
    await rm(state, { recursive: true, force: true })
  }
})
