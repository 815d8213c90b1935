import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import { type RelPath, type SyncEvent, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { startTestServer } from './helpers.js'

// QA 29a: a served file that became a FIFO was read by the client's `stat` as a bare absent path
// (StatReply said only "not found"), so a watch cycle from grpc:// (polling, then stating the
// changed paths) deleted the target's copy, where a sync keeps it and says the FIFO was skipped.

it("a served FIFO: stat says it was skipped, and a watch cycle keeps the target's file there", async () => {
  const { syncPaths } = await import('@syncflow/core/continuous')
  const { server, dir, stop } = await startTestServer()
  const dst = await mkdtemp(join(tmpdir(), 'grpc-special-dst-'))
  const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${server.port}/` })
  try {
    await writeFile(join(dir, 'was-file'), 'copy')
    await writeFile(join(dir, 'gone'), 'g')
    await writeFile(join(dir, 'keep'), 'k')
    await lastValueFrom(sync(b, createLocalBackend({ root: dst }), { mode: 'mirror' }).pipe(toArray()))
    await rm(join(dir, 'was-file'))
    await rm(join(dir, 'gone'))
    execFileSync('mkfifo', [join(dir, 'was-file')])
    const said: string[] = []
    await expect(b.stat('was-file' as RelPath, { onNotice: (n) => said.push(n.message) })).resolves.toBeUndefined()
    expect(said).toEqual(['was-file is a FIFO: skipped, not a regular file'])
    const events: SyncEvent[] = await lastValueFrom(
      syncPaths(b, createLocalBackend({ root: dst }), ['was-file' as RelPath, 'gone' as RelPath], {
        mode: 'mirror',
      }).pipe(toArray()),
    )
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    expect(events.flatMap((e) => (e.type === 'notice' ? [e.message] : []))).toEqual([
      'was-file is a FIFO: skipped, not a regular file',
    ])
    expect(readFileSync(join(dst, 'was-file'), 'utf8')).toBe('copy')
    expect(existsSync(join(dst, 'gone'))).toBe(false)
  } finally {
    await b.close()
    await stop()
    await rm(dst, { recursive: true, force: true })
  }
})
