import { execFileSync } from 'node:child_process'
import { existsSync, lstatSync, readFileSync } from 'node:fs'
import { mkdir, utimes, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { check, createPathFilter, type Entry, type SyncEvent, type SyncOptions, sync } from '@syncflow/core'
import { listAll } from '@syncflow/core/testkit'
import { lastValueFrom, toArray } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { codeOf, p, tempDir } from './helpers.js'

// QA 22 #5: a FIFO, socket or device only in a mirror's target was never removed (nor the
// directory holding it: "not empty (holds files added since the listing)"), so check reported
// it for ever; and an excluded special file in the source was still reported on every run.

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))))
})

/** A real UNIX socket at `path`, listening until the test ends. */
async function socketAt(path: string): Promise<void> {
  const server = createServer()
  servers.push(server)
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(path, () => done())
  })
}

const mkfifo = (path: string): void => void execFileSync('mkfifo', [path])

/** A mirror (or what `options` say) from `src` to `dst`; `checkOnly`: `check` instead, as `syncflow check` runs it. */
const run = (
  src: string,
  dst: string,
  { checkOnly = false, ...options }: Partial<SyncOptions> & { checkOnly?: boolean } = {},
): Promise<SyncEvent[]> =>
  lastValueFrom(
    (checkOnly ? check : sync)(createLocalBackend({ root: src }), createLocalBackend({ root: dst }), {
      mode: 'mirror',
      ...options,
    }).pipe(toArray()),
  )

const planned = (events: SyncEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'planned' ? [`${e.action.kind} ${e.action.path}`] : [])).sort()
const notices = (events: SyncEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'notice' && e.code === 'SPECIAL_FILE_SKIPPED' ? [e.message] : []))

describe('special files (FIFOs, sockets)', () => {
  it('listed with specialFiles: as files of size 0 in listing order; without it, left out and said; excluded, not said', async () => {
    const root = await tempDir('special-list')
    await mkdir(join(root, 'd'))
    mkfifo(join(root, 'd', 'pipe'))
    await socketAt(join(root, 'app.sock'))
    await writeFile(join(root, 'z'), 'x')
    const b = createLocalBackend({ root })
    const said: string[] = []
    const listed = await listAll(b, { specialFiles: true, onNotice: (n) => said.push(n.message) })
    expect(listed.map((e) => `${e.kind} ${e.path} ${e.size}`)).toEqual([
      'file app.sock 0',
      'dir d 0',
      'file d/pipe 0',
      'file z 1',
    ])
    expect(said).toEqual([])
    await listAll(b, { onNotice: (n) => said.push(n.message) })
    expect(said).toEqual([
      'app.sock is a socket: skipped, not a regular file',
      'd/pipe is a FIFO: skipped, not a regular file',
    ])
    said.length = 0
    await listAll(b, { excluded: (name) => name.endsWith('.sock'), onNotice: (n) => said.push(n.message) })
    expect(said).toEqual(['d/pipe is a FIFO: skipped, not a regular file'])
  })

  it('such an entry is never read nor hashed; remove deletes it; a write expecting it replaces it', async () => {
    const root = await tempDir('special-ops')
    mkfifo(join(root, 'pipe'))
    mkfifo(join(root, 'gone'))
    const b = createLocalBackend({ root })
    const listed = await listAll(b, { specialFiles: true })
    const entry = listed.find((e) => e.path === 'pipe') as Entry
    expect(entry).toMatchObject({ kind: 'file', size: 0 })
    await expect(b.read(p('pipe')).catch(codeOf)).resolves.toBe('CONFLICT')
    await expect(b.hash(p('pipe'), 'sha256').catch(codeOf)).resolves.toBe('CONFLICT')
    await b.write(p('pipe'), Readable.from([Buffer.from('now a file')]), { mtimeMs: 1e12 }, { expect: entry })
    expect(lstatSync(join(root, 'pipe')).isFile()).toBe(true)
    expect(readFileSync(join(root, 'pipe'), 'utf8')).toBe('now a file')
    await b.remove(p('gone'))
    expect(existsSync(join(root, 'gone'))).toBe(false)
  })

  it('a mirror deletes a target-only FIFO and socket, and the directories holding them; check and a dry run say so first, and nothing after', async () => {
    const src = await tempDir('special-src')
    const dst = await tempDir('special-dst')
    await writeFile(join(src, 'a'), 'a')
    await mkdir(join(dst, 'oldcache', 'deeper'), { recursive: true })
    mkfifo(join(dst, 'oldcache', 'pipe'))
    await socketAt(join(dst, 'oldcache', 'deeper', 's.sock'))
    mkfifo(join(dst, 'topfifo'))
    const expected = [
      'copy a',
      'delete oldcache',
      'delete oldcache/deeper',
      'delete oldcache/deeper/s.sock',
      'delete oldcache/pipe',
      'delete topfifo',
    ]
    expect(planned(await run(src, dst, { checkOnly: true }))).toEqual(expected)
    expect(planned(await run(src, dst, { dryRun: true }))).toEqual(expected)
    const real = await run(src, dst)
    expect(planned(real)).toEqual(expected)
    expect(real.filter((e) => e.type === 'skipped' || e.type === 'failed')).toEqual([])
    expect(notices(real)).toEqual([])
    expect(existsSync(join(dst, 'oldcache'))).toBe(false)
    expect(existsSync(join(dst, 'topfifo'))).toBe(false)
    expect(planned(await run(src, dst, { checkOnly: true }))).toEqual([])
    // Never the source's: its own special file is left alone (and said).
    mkfifo(join(src, 'srcpipe'))
    const again = await run(src, dst)
    expect(planned(again)).toEqual([])
    expect(notices(again)).toEqual(['srcpipe is a FIFO: skipped, not a regular file'])
    expect(lstatSync(join(src, 'srcpipe')).isFIFO()).toBe(true)
  })

  it('a source file replaces a target FIFO at its path', async () => {
    const src = await tempDir('special-replace-src')
    const dst = await tempDir('special-replace-dst')
    await writeFile(join(src, 'p'), 'hello')
    mkfifo(join(dst, 'p'))
    const events = await run(src, dst)
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    expect(readFileSync(join(dst, 'p'), 'utf8')).toBe('hello')
  })

  // QA 25a #5: rsync without -D skips a source's FIFO and keeps what the target has at its path;
  // the mirror deleted it as "not in source" (a file that became a FIFO lost its copy), while
  // saying the FIFO was skipped. A directory there is kept with its contents, as below a skipped link.
  it("a source FIFO is skipped and the target's file or directory at its path is kept (check agrees)", async () => {
    const src = await tempDir('special-kept-src')
    const dst = await tempDir('special-kept-dst')
    mkfifo(join(src, 'was-file'))
    mkfifo(join(src, 'was-dir'))
    await writeFile(join(src, 'keep'), 'k')
    await writeFile(join(dst, 'was-file'), 'old copy')
    await mkdir(join(dst, 'was-dir'))
    await writeFile(join(dst, 'was-dir', 'inner'), 'i')
    await writeFile(join(dst, 'stale'), 's')
    const events = await run(src, dst)
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    expect(planned(events)).toEqual(['copy keep', 'delete stale'])
    expect(notices(events).sort()).toEqual([
      'was-dir is a FIFO: skipped, not a regular file',
      'was-file is a FIFO: skipped, not a regular file',
    ])
    expect(readFileSync(join(dst, 'was-file'), 'utf8')).toBe('old copy')
    expect(readFileSync(join(dst, 'was-dir', 'inner'), 'utf8')).toBe('i')
    expect(planned(await run(src, dst, { checkOnly: true }))).toEqual([])
  })

  // An empty source file matched a target FIFO of the same mtime (size 0 both): it stayed for ever,
  // with check saying in sync; under --checksum the device node was opened to hash it (review 21 #2).
  it.each([
    ['size and mtime', {}],
    ['--size-only', { compare: 'size-only' as const }],
    ['--checksum', { compare: 'checksum' as const }],
  ])('an empty source file replaces a target FIFO of the same mtime (%s)', async (_, options) => {
    const src = await tempDir('special-empty-src')
    const dst = await tempDir('special-empty-dst')
    mkfifo(join(dst, 'p'))
    await writeFile(join(src, 'p'), '')
    const { mtime } = lstatSync(join(dst, 'p'))
    await utimes(join(src, 'p'), mtime, mtime)
    const events = await run(src, dst, options)
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    expect(lstatSync(join(dst, 'p')).isFile()).toBe(true)
    expect(await run(src, dst, { ...options, checkOnly: true })).not.toContainEqual(
      expect.objectContaining({ type: 'planned' }),
    )
  })

  it('excluded special files: not said in the source, kept in the target with their directory (no --delete-excluded)', async () => {
    const src = await tempDir('special-excl-src')
    const dst = await tempDir('special-excl-dst')
    await writeFile(join(src, 'a'), 'a')
    await socketAt(join(src, 'app.sock'))
    mkfifo(join(src, 'app.sock.fifo'))
    await mkdir(join(dst, 'ex'))
    await socketAt(join(dst, 'ex', 'y.sock'))
    const filter = createPathFilter({ exclude: ['*.sock', 'app.sock.fifo'] })
    const events = await run(src, dst, { filter })
    expect(notices(events)).toEqual([])
    expect(events.filter((e) => e.type === 'failed' || e.type === 'skipped')).toEqual([])
    expect(lstatSync(join(dst, 'ex', 'y.sock')).isSocket()).toBe(true)
    expect(planned(await run(src, dst, { filter, checkOnly: true }))).toEqual([])
    // With --delete-excluded it goes, with its directory.
    await run(src, dst, { filter, deleteExcluded: true })
    expect(existsSync(join(dst, 'ex'))).toBe(false)
  })

  it('a copy (no deletes) leaves a target-only FIFO, and says it is on the target', async () => {
    const src = await tempDir('special-copy-src')
    const dst = await tempDir('special-copy-dst')
    await writeFile(join(src, 'a'), 'a')
    mkfifo(join(dst, 'z'))
    const events = await run(src, dst, { mode: 'copy' })
    expect(notices(events)).toEqual(['z is a FIFO: skipped, not a regular file (on the target)'])
    expect(lstatSync(join(dst, 'z')).isFIFO()).toBe(true)
  })
})

// QA 29a: `stat` read a FIFO as a bare absent path, so a watch cycle (which stats its changed paths
// instead of listing) deleted the target's copy of a file that became a FIFO, where the one-shot
// sync above keeps it, and never said the FIFO was skipped.
// QA 29a #13: a FIFO or socket named in --files-from was said twice, skipped and "not in the source".
describe('--files-from naming a special file', () => {
  it('says it was skipped, and not that the source lacks it', async () => {
    const [src, dst] = [await tempDir('special-ff-src'), await tempDir('special-ff-dst')]
    mkfifo(join(src, 'pipe'))
    await socketAt(join(src, 'app.sock'))
    await writeFile(join(src, 'a'), 'x')
    const filter = createPathFilter({ filesFrom: [p('a'), p('pipe'), p('app.sock'), p('gone')] })
    const events = await run(src, dst, { filter })
    expect(notices(events).sort()).toEqual([
      'app.sock is a socket: skipped, not a regular file',
      'pipe is a FIFO: skipped, not a regular file',
    ])
    const missing = events.flatMap((e) => (e.type === 'notice' && e.code === 'FILES_FROM_MISSING' ? [e.message] : []))
    expect(missing).toEqual(['1 path listed by --files-from not in the source (or excluded): "gone"'])
  })
})

describe('a watch cycle over changed paths', () => {
  it("keeps the target's file where the source's became a FIFO, and says the FIFO was skipped", async () => {
    const { syncPaths } = await import('@syncflow/core/continuous')
    const src = await tempDir('special-cycle-src')
    const dst = await tempDir('special-cycle-dst')
    await writeFile(join(src, 'was-file'), 'new')
    await writeFile(join(src, 'gone'), 'g')
    await writeFile(join(src, 'keep'), 'k') // (a source with no file at all deletes nothing)
    await run(src, dst)
    execFileSync('rm', [join(src, 'was-file'), join(src, 'gone')])
    mkfifo(join(src, 'was-file'))
    const said: string[] = []
    const b = createLocalBackend({ root: src })
    await expect(b.stat(p('was-file'), { onNotice: (n) => said.push(n.message) })).resolves.toBeUndefined()
    expect(said).toEqual(['was-file is a FIFO: skipped, not a regular file'])
    const events = await lastValueFrom(
      syncPaths(b, createLocalBackend({ root: dst }), [p('was-file'), p('gone')], { mode: 'mirror' }).pipe(toArray()),
    )
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    expect(planned(events)).toEqual(['delete gone'])
    expect(notices(events)).toEqual(['was-file is a FIFO: skipped, not a regular file'])
    expect(readFileSync(join(dst, 'was-file'), 'utf8')).toBe('new')
    expect(existsSync(join(dst, 'gone'))).toBe(false)
  })
})
