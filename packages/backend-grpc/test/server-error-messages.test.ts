import { execFileSync } from 'node:child_process'
import { chmod, mkdir, realpath, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { createLocalBackend } from '@syncflow/backend-local'
import type { FailedEvent, RelPath } from '@syncflow/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { mirrorAndClose, startTestServer } from './helpers.js'

// What a client is told of a failure on the server: its code, op and path once (not the server's
// "CODE: local.op (path): " after the client's own), nothing of the server's filesystem, and a hint
// about the server rather than the local directory hint the server's backend gave.

let srv: Awaited<ReturnType<typeof startTestServer>>
let real: string
let local: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  srv = await startTestServer()
  real = await realpath(srv.dir)
  local = await startTestServer() // a temp dir for the source (its server is not used)
})

afterAll(async () => {
  await srv?.stop()
  await local?.stop()
})

/**
 * Makes `dir` refuse new files: read-only for a user; immutable for root, whom modes do not stop.
 * False when neither works here (root without chattr, or a filesystem without the attribute).
 */
async function refuseWrites(dir: string): Promise<boolean> {
  if (process.getuid?.() !== 0) {
    await chmod(dir, 0o555)
    return true
  }
  try {
    execFileSync('chattr', ['+i', dir], { stdio: 'pipe' })
    return true
  } catch {
    return false
  }
}

async function allowWrites(dir: string): Promise<void> {
  if (process.getuid?.() === 0) execFileSync('chattr', ['-i', dir], { stdio: 'pipe' })
  else await chmod(dir, 0o755)
}

describe('a failure on the server, as the client reports it', () => {
  // Said as a local target that is a file is: the location, not a failed `file/below` inside the
  // target (`failed   file (on the target): CONFLICT: …` read as a file named `file` that failed).
  it('a client root below a file, or that is a file: the location said so (USAGE), no server path', async () => {
    await writeFile(join(srv.dir, 'file'), 'x')
    await writeFile(join(local.dir, 'a.txt'), 'a')
    const said = async (path: string): Promise<{ message: string; path?: string; code: string }> => {
      const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/${path}` })
      const events = await mirrorAndClose(createLocalBackend({ root: local.dir }), target)
      const failed = events.filter((e): e is FailedEvent => e.type === 'failed')
      expect(failed).toHaveLength(1)
      const { message, code } = failed[0]!.error
      return { message, code, ...(failed[0]!.path ? { path: failed[0]!.path } : {}) }
    }
    const below = await said('file/below')
    expect(below).toMatchObject({ code: 'USAGE' })
    expect(below.path).toBeUndefined()
    expect(below.message).toMatch(
      /^USAGE: grpc\.list: "grpc:\/\/127\.0\.0\.1:\d+\/file\/below\/?" lies below a file, not a directory$/,
    )
    const file = await said('file')
    expect(file.message).toMatch(/"grpc:\/\/127\.0\.0\.1:\d+\/file\/?" is a file, not a directory$/)
    for (const { message } of [below, file]) {
      expect(message).not.toContain(real)
      expect(message).not.toContain('local.')
    }
  })

  it('a write the server may not make: PERMISSION about the path, a hint about the server, no server path', async (ctx) => {
    const dir = join(srv.dir, 'locked')
    await mkdir(dir, { recursive: true })
    if (!(await refuseWrites(dir)))
      ctx.skip('running as root without chattr +i: no way to make the server refuse a write')
    try {
      const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/` })
      const err = await b
        .write('locked/a.txt' as RelPath, Readable.from([Buffer.from('a')]), { mtimeMs: 1_700_000_000_000 })
        .catch((e: unknown) => e)
      await b.close()
      expect(err).toMatchObject({ code: 'PERMISSION', path: 'locked/a.txt' })
      const message = String((err as Error).message)
      expect(message).toMatch(/^PERMISSION: grpc\.write \(locked\/a\.txt\): E(ACCES|PERM)\b/)
      expect(message.match(/PERMISSION/g)).toHaveLength(1)
      expect(message).not.toContain(real)
      // The file asked for, never the write's internal temp name (QA 7 #9).
      expect(message).toContain("open 'locked/a.txt'")
      expect(message).not.toContain('.syncflow-tmp-')
      expect((err as { hint?: string }).hint).toMatch(/syncflow serve may not access this path/)
    } finally {
      await allowWrites(dir)
      await rm(dir, { recursive: true, force: true })
    }
  })
})
