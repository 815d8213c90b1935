import { mkdir, readFile, rmdir, symlink, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Action, createMemBackend, executeAction, type RelPath } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterEach, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { startTestServer } from './helpers.js'

// A server that re-checks a file's delete itself (Hello feature removeExpect) made the engine skip
// its re-check of a planned symlink or empty directory too, as it does for S3 (which has neither):
// a file another client (or a user on the server) wrote in place of one after the listing was
// deleted with it, reported done (QA 29k again, for grpc:// since removeExpect).

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

it.each([
  ['a symlink', (at: string) => symlink('elsewhere', at), unlink],
  ['an empty directory', (at: string) => mkdir(at), rmdir],
] as const)(
  '%s planned for delete, replaced by a file since the listing, is left as it is (CONFLICT)',
  async (_, make, unmake) => {
    const srv = await startTestServer()
    cleanups.push(srv.stop)
    const at = join(srv.dir, 'x')
    await make(at)
    const target = await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/` })
    cleanups.push(() => target.close())
    const planned = await target.stat('x' as RelPath)
    expect(planned).toBeDefined()
    await unmake(at)
    await writeFile(at, 'mine')

    const action: Action = { kind: 'delete', path: 'x' as RelPath, target: planned!, reason: 'not in source' }
    const events = await lastValueFrom(
      executeAction(action, { source: createMemBackend(), target, retries: 0 }).pipe(toArray()),
    )

    expect(events.map((e) => e.type)).toEqual(['started', 'failed'])
    expect(events[1]).toMatchObject({ error: { code: 'CONFLICT' } })
    expect(await readFile(at, 'utf8')).toBe('mine')
  },
)
