import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLocalBackend } from '@syncflow/backend-local'
import { createPathFilter, type FailedEvent, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGrpcBackend, grpcBackend } from '../src/index.js'
import { mirrorAndClose, startTestServer } from './helpers.js'

// `--symlinks` with a gRPC source: the server never follows a symlink, and says so.

const BIN = fileURLToPath(new URL('../../cli-tui/dist/bin.js', import.meta.url))
let srv: Awaited<ReturnType<typeof startTestServer>>
let local: string

beforeAll(async () => {
  srv = await startTestServer()
  local = await mkdtemp(join(tmpdir(), 'grpc-symlinks-'))
  const lk = join(srv.dir, 'lk')
  await mkdir(join(lk, 'realdir'), { recursive: true })
  await writeFile(join(lk, 'real.txt'), 'real')
  await writeFile(join(lk, 'realdir/inner.txt'), 'inner')
  await symlink('real.txt', join(lk, 'link.txt'))
  await symlink('realdir', join(lk, 'linkdir'))
  await writeFile(join(local, 'outside.txt'), 'outside the served root')
  await symlink(join(local, 'outside.txt'), join(lk, 'escape'))
})

afterAll(async () => {
  await srv?.stop()
  if (local) await rm(local, { recursive: true, force: true })
})

const uri = (): string => `grpc://127.0.0.1:${srv.server.port}/lk`

describe('--symlinks with a grpc:// source', () => {
  it('follow: each symlink is a listing error saying the server never follows symlinks; the rest is copied', async () => {
    const dst = join(local, 'follow')
    const source = await grpcBackend.open(uri(), { symlinks: 'follow' })
    const events = await mirrorAndClose(source, createLocalBackend({ root: dst, symlinks: 'follow' }))
    const failed = events.filter((e): e is FailedEvent => e.type === 'failed')
    expect(failed.map((e) => e.path).sort()).toEqual(['escape', 'link.txt', 'linkdir'])
    for (const f of failed) {
      expect(f).toMatchObject({ stage: 'list', error: { code: 'UNSUPPORTED' } })
      expect(f.error.message).toMatch(/syncflow serve never follows symlinks/)
      expect(f.error.hint).toMatch(/--symlinks preserve/)
    }
    // Not the old, wrong reason: the local target could store them; the server will not follow them.
    expect(events.filter((e) => e.type === 'skipped')).toEqual([])
    expect(await readFile(join(dst, 'real.txt'), 'utf8')).toBe('real')
    expect(await readFile(join(dst, 'realdir/inner.txt'), 'utf8')).toBe('inner')
    expect(existsSync(join(dst, 'escape'))).toBe(false)
    expect(existsSync(join(dst, 'link.txt'))).toBe(false)
    const done = events.at(-1)
    expect(done?.type === 'done' && done.summary.listingErrors).toBe(3)
  })

  // QA 14 #1: --exclude did not silence it, so a run from such a server never deleted anything.
  it('follow: an excluded symlink is skipped without a word, so the run deletes what it should', async () => {
    const dst = join(local, 'follow-excluded')
    await mkdir(dst, { recursive: true })
    await writeFile(join(dst, 'stale.txt'), 'stale')
    const source = await grpcBackend.open(uri(), { symlinks: 'follow' })
    const target = createLocalBackend({ root: dst })
    try {
      const events = await lastValueFrom(
        sync(source, target, {
          mode: 'mirror',
          filter: createPathFilter({ exclude: ['escape', 'link.txt', 'linkdir'] }),
        }).pipe(toArray()),
      )
      expect(events.filter((e) => e.type === 'failed')).toEqual([])
      expect(events.at(-1)).toMatchObject({ type: 'done', summary: { listingErrors: 0, done: { delete: 1 } } })
      expect(existsSync(join(dst, 'stale.txt'))).toBe(false)
      expect(await readFile(join(dst, 'real.txt'), 'utf8')).toBe('real')
    } finally {
      await source.close()
      await target.close()
    }
  })

  it('follow: stat of a symlink says the same', async () => {
    const source = await createGrpcBackend({ uri: uri(), symlinks: 'follow' })
    try {
      await expect(source.stat('link.txt' as never)).rejects.toMatchObject({ code: 'UNSUPPORTED' })
      expect(await source.stat('real.txt' as never)).toMatchObject({ kind: 'file', size: 4 })
    } finally {
      await source.close()
    }
  })

  // QA 31j #3: refused INVALID_PATH "goes through the symlink", which failed a watch's cycle (deletes
  // held) where the source's y/z came and went within one batch while y was a symlink on both sides.
  it('preserve: a path below a symlink is absent to stat, as a local directory has it; nothing read through it', async () => {
    const source = await grpcBackend.open(uri(), { symlinks: 'preserve' })
    const here = createLocalBackend({ root: join(srv.dir, 'lk') })
    try {
      for (const path of ['linkdir/inner.txt', 'linkdir/none', 'escape/x', 'link.txt/x']) {
        expect(await here.stat(path as never), path).toBeUndefined()
        expect(await source.stat(path as never), path).toBeUndefined()
      }
      expect(await source.stat('linkdir' as never)).toMatchObject({ kind: 'symlink' })
      expect(await source.stat('realdir/inner.txt' as never)).toMatchObject({ kind: 'file', size: 5 })
    } finally {
      await source.close()
      await here.close()
    }
  })

  it('skip: symlinks are left out without a word, the rest is copied', async () => {
    const dst = join(local, 'skip')
    const source = await createGrpcBackend({ uri: uri(), symlinks: 'skip' })
    expect(source.capabilities.symlinks).toBe(false)
    const events = await mirrorAndClose(source, createLocalBackend({ root: dst, symlinks: 'skip' }))
    expect(events.filter((e) => e.type === 'failed' || e.type === 'skipped')).toEqual([])
    expect(await readFile(join(dst, 'real.txt'), 'utf8')).toBe('real')
    expect(existsSync(join(dst, 'link.txt'))).toBe(false)
  })

  // Review 20 #2 (QA 20 F1 over gRPC): what the target holds at a skipped link's path, as a run
  // under follow from a local source would have left it, was deleted by a mirror.
  it('skip: a mirror keeps what the target has at the skipped links, and below them', async () => {
    const dst = join(local, 'skip-kept')
    await mkdir(join(dst, 'linkdir'), { recursive: true })
    await writeFile(join(dst, 'link.txt'), 'a copy made under follow')
    await writeFile(join(dst, 'linkdir/inner.txt'), 'inner copy')
    await writeFile(join(dst, 'stale.txt'), 'not in the source')
    const source = await createGrpcBackend({ uri: uri(), symlinks: 'skip' })
    const events = await mirrorAndClose(source, createLocalBackend({ root: dst, symlinks: 'skip' }))
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    expect(await readFile(join(dst, 'link.txt'), 'utf8')).toBe('a copy made under follow')
    expect(await readFile(join(dst, 'linkdir/inner.txt'), 'utf8')).toBe('inner copy')
    expect(existsSync(join(dst, 'stale.txt'))).toBe(false)
  })

  it('preserve (the default): symlinks are copied as symlinks', async () => {
    const dst = join(local, 'preserve')
    const events = await mirrorAndClose(await createGrpcBackend({ uri: uri() }), createLocalBackend({ root: dst }))
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    expect((await lstat(join(dst, 'link.txt'))).isSymbolicLink()).toBe(true)
    expect(await readlink(join(dst, 'linkdir'))).toBe('realdir')
  })

  it('an unknown policy is a USAGE error', async () => {
    await expect(createGrpcBackend({ uri: uri(), symlinks: 'sometimes' as never })).rejects.toMatchObject({
      code: 'USAGE',
    })
  })

  it('the CLI: sync --symlinks follow says why each symlink is not copied, and exits 1', async (ctx) => {
    if (!existsSync(BIN)) ctx.skip('the CLI is not built (npm run build)')
    const child = spawn(
      process.execPath,
      [BIN, 'sync', '--symlinks', 'follow', '--no-state', uri(), join(local, 'cli')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d
    })
    child.stderr.on('data', (d: Buffer) => {
      out += d
    })
    // 'close', not 'exit': the output's last chunk can come after the exit.
    const code = await new Promise((resolve) => child.on('close', resolve))
    expect(code, out).toBe(1)
    expect(out).toMatch(/link\.txt.*never follows symlinks/)
    expect(out).not.toMatch(/cannot store symlinks/)
  })
})
