import { mkdir, mkdtemp, readlink, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { createLocalBackend } from '@syncflow/backend-local'
import { CLASH_HINT_NO_DELETES, type FailedEvent, type RelPath, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { startTestServer } from './helpers.js'

// QA 3a F10: `copy` onto a server whose symlink stands where the source has a directory failed with
// "CONFLICT: grpc.mkdir (escape): a symlink is in the way" and nothing said what to do about it.
let srv: Awaited<ReturnType<typeof startTestServer>>
let local: string

beforeAll(async () => {
  srv = await startTestServer()
  local = await mkdtemp(join(tmpdir(), 'grpc-in-the-way-'))
  await mkdir(join(srv.dir, 't'))
  await symlink(local, join(srv.dir, 't', 'escape'))
  await writeFile(join(srv.dir, 't', 'plain'), 'a file')
  await mkdir(join(local, 'src', 'escape'), { recursive: true })
  await writeFile(join(local, 'src', 'escape', 'f.txt'), 'f')
})

afterAll(async () => {
  await srv?.stop()
  if (local) await rm(local, { recursive: true, force: true })
})

// QA 31c: the server escaped a message's non-ASCII characters, and grpc-js escapes it again on
// the wire: the client said `parent "r%C3%A9pertoire" is a file`.
describe('a server message naming a path that is not ASCII', () => {
  it('reaches the client as the server wrote it', async () => {
    await writeFile(join(srv.dir, 't', 'répertoire ✓'), 'a file')
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/t` })
    try {
      const body = Readable.from([Buffer.from('x')])
      const err = await b.write('répertoire ✓/f' as RelPath, body, { mtimeMs: 0 }).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'CONFLICT' })
      expect((err as Error).message).toContain('"répertoire ✓"')
      expect((err as Error).message).not.toContain('%')
    } finally {
      await b.close()
    }
  })
})

describe('mkdir where a symlink or a file is in the way on the server', () => {
  it('fails with CONFLICT and a hint saying what to do, changing nothing', async () => {
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/t` })
    try {
      for (const [path, what] of [
        ['escape', 'symlink'],
        ['plain', 'file'],
      ] as const) {
        const err = await b.mkdir(path as RelPath).catch((e: unknown) => e)
        expect(err).toMatchObject({ code: 'CONFLICT' })
        expect((err as Error).message).toBe(`CONFLICT: grpc.mkdir (${path}): a ${what} is in the way`)
        expect((err as { hint?: string }).hint).toMatch(/remove or rename it on the server/i)
        expect((err as { hint?: string }).hint).toMatch(/sync/)
      }
    } finally {
      await b.close()
    }
    expect(await readlink(join(srv.dir, 't', 'escape'))).toBe(local)
  })

  // QA 29e: the server's hint is a file's, which the CLI shows with -v only: the run's hint (said
  // once) goes with the failure instead, so a copy says what to do without -v.
  it('a copy run says it in its failure, with the hint about the run', async () => {
    const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/t` })
    const source = createLocalBackend({ root: join(local, 'src') })
    try {
      const events = await lastValueFrom(sync(source, target, { mode: 'copy' }).pipe(toArray()))
      const failed = events.filter((e): e is FailedEvent => e.type === 'failed')
      expect(failed.map((e) => [e.path, e.error.code])).toContainEqual(['escape', 'CONFLICT'])
      const inTheWay = failed.find((e) => e.path === 'escape')!
      expect(inTheWay.error.message).toBe(
        "CONFLICT: grpc.mkdir (escape): a symlink is in the way of the source's directory; nothing was changed",
      )
      expect(inTheWay.error.hint).toBe(CLASH_HINT_NO_DELETES)
    } finally {
      await source.close()
      await target.close()
    }
    expect(await readlink(join(srv.dir, 't', 'escape'))).toBe(local)
  })
})

describe('Mkdir with an mtime that is not a number, from a raw client', () => {
  // As SetMtime already refuses one (USAGE "bad mtime"): it was UNKNOWN with Node's own words ("The
  // "mtime" argument must be an instance of Date…") after the directory had been made.
  it('is USAGE, and makes no directory', async () => {
    const { existsSync } = await import('node:fs')
    const { loadProtocol } = await import('../src/wire/load-protocol.js')
    const { grpc, proto } = await loadProtocol()
    const raw = new proto.syncflow.v1.Syncflow(`127.0.0.1:${srv.server.port}`, grpc.credentials.createInsecure())
    try {
      for (const mtimeMs of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const err = await new Promise<{ code?: number; metadata?: { get(k: string): unknown[] } } | null>((resolve) =>
          raw.Mkdir({ root: 't', path: 'bad-mtime', mtimeMs }, (e) => resolve(e)),
        )
        expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT)
        expect(err?.metadata?.get('syncflow-code')).toEqual(['USAGE'])
      }
    } finally {
      raw.close()
    }
    expect(existsSync(join(srv.dir, 't', 'bad-mtime'))).toBe(false)
  })
})
