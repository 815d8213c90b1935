import { Readable } from 'node:stream'
import { BackendRegistry, compareEntries, isSyncError, type RelPath, SyncError } from '@syncflow/core'
import { listAll, listFiles, listKeys, readText, rejectionOf, writeText } from '@syncflow/core/testkit'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createMemBackend, dropMemStore, MemBackend, memBackend } from '../src/backend/mem-backend.js'

const p = (path: string): RelPath => path as RelPath
const codeOf = (err: unknown): unknown => (isSyncError(err) ? err.code : err)

describe('mem:// plugin and named stores', () => {
  it('opens named stores through a registry: same name, same data', async () => {
    const registry = new BackendRegistry()
    registry.register(memBackend)
    const a = await registry.open('mem://shared-test')
    const b = await registry.open('mem://shared-test')
    expect(a.uri).toBe('mem://shared-test')
    await writeText(a, 'x.txt', 'from a')
    expect(await readText(b, 'x.txt')).toBe('from a')
    const other = await registry.open('mem://other-test')
    expect(await listAll(other)).toEqual([])
    expect(dropMemStore('shared-test')).toBe(true)
    expect(await listAll(await registry.open('mem://shared-test'))).toEqual([])
    dropMemStore('shared-test')
    dropMemStore('other-test')
  })

  it('a sub-directory root sees only its part of the store, and may not exist yet', async () => {
    const whole = createMemBackend({ name: 'rooted-test' })
    const sub = await memBackend.open('mem://rooted-test/sub/dir', {})
    expect(sub.uri).toBe('mem://rooted-test/sub/dir')
    expect(await sub.rootExists()).toBe(false)
    await writeText(whole, 'outside.txt', 'o')
    await writeText(sub, 'inside.txt', 'i')
    expect(await sub.rootExists()).toBe(true)
    expect(await listKeys(sub)).toEqual(['inside.txt'])
    expect(await listKeys(whole)).toEqual(['outside.txt', 'sub/', 'sub/dir/', 'sub/dir/inside.txt'])
    dropMemStore('rooted-test')
  })

  it('rejects malformed locations with USAGE', async () => {
    for (const uri of ['mem://', 'mem:///x', 'mem://bad name', 'mem://x/../y']) {
      const err = await rejectionOf(memBackend.open(uri, {}))
      expect(codeOf(err), uri).toMatch(/USAGE|INVALID_PATH/)
    }
  })

  it('anonymous backends do not share data', async () => {
    const a = createMemBackend()
    const b = createMemBackend()
    expect(a.uri).not.toBe(b.uri)
    await writeText(a, 'x', 'x')
    expect(await listAll(b)).toEqual([])
  })

  it('is unusable after close', async () => {
    const b = createMemBackend()
    await b.close()
    expect(codeOf(await rejectionOf(b.stat(p('x'))))).toBe('USAGE')
  })
})

describe('fault injection', () => {
  it('a write fault fails that write only, destroys the body and changes nothing', async () => {
    const b = createMemBackend({
      faults: { write: (path) => (path === 'bad.txt' ? new SyncError('TRANSIENT', 'injected') : undefined) },
    })
    const body = Readable.from([Buffer.from('x')])
    const err = await rejectionOf(b.write(p('bad.txt'), body, { mtimeMs: 1 }))
    expect(codeOf(err)).toBe('TRANSIENT')
    expect(body.destroyed).toBe(true)
    await writeText(b, 'good.txt', 'ok')
    expect(await listFiles(b)).toEqual(['good.txt'])
  })

  it('faults can be changed later, and an async fault holds the call until it settles', async () => {
    const b = createMemBackend()
    let release!: () => void
    const gate = new Promise<undefined>((resolve) => {
      release = () => resolve(undefined)
    })
    b.faults = { write: () => gate }
    let done = false
    const writing = writeText(b, 'held.txt', 'x').then(() => {
      done = true
    })
    await Promise.resolve()
    expect(done).toBe(false)
    expect(await b.stat(p('held.txt'))).toBeUndefined()
    release()
    await writing
    expect(await readText(b, 'held.txt')).toBe('x')
  })

  it('a list fault at the start fails the whole listing', async () => {
    const b = createMemBackend({
      faults: { list: (path) => (path === undefined ? new SyncError('PERMISSION', 'no') : undefined) },
    })
    await writeText(b, 'a', 'a')
    expect(codeOf(await rejectionOf(listAll(b, { onError: () => {} })))).toBe('PERMISSION')
  })

  it('a list fault on a directory goes to onError and leaves out its subtree (thrown without onError)', async () => {
    const b = createMemBackend({
      faults: { list: (path) => (path === 'locked' ? new SyncError('PERMISSION', 'denied', { path }) : undefined) },
    })
    await writeText(b, 'locked/a.txt', 'a')
    await writeText(b, 'locked/deep/b.txt', 'b')
    await writeText(b, 'open/c.txt', 'c')
    await writeText(b, 'z.txt', 'z')
    const errors: SyncError[] = []
    expect(await listKeys(b, { onError: (e) => errors.push(e) })).toEqual(['open/', 'open/c.txt', 'z.txt'])
    expect(errors.map((e) => [e.code, e.path])).toEqual([['PERMISSION', 'locked']])
    expect(codeOf(await rejectionOf(listAll(b)))).toBe('PERMISSION')
  })

  it('faults exist for the other operations too', async () => {
    const fail = () => new SyncError('TRANSIENT', 'injected')
    const b = createMemBackend()
    await writeText(b, 'f', 'x')
    b.faults = { stat: fail, read: fail, remove: fail, hash: fail, setMtime: fail, move: fail, copy: fail }
    for (const call of [
      b.stat(p('f')),
      b.read(p('f')),
      b.remove(p('f')),
      b.hash(p('f'), 'md5'),
      b.setMtime(p('f'), 1),
      b.move(p('f'), p('g')),
      b.copy(p('f'), p('g')),
    ]) {
      expect(codeOf(await rejectionOf(call))).toBe('TRANSIENT')
    }
  })
})

describe('emulated capabilities', () => {
  it('mtimePrecisionMs truncates stored mtimes', async () => {
    const b = createMemBackend({ capabilities: { mtimePrecisionMs: 1000 } })
    expect((await writeText(b, 'f', 'x', 1_600_000_000_999)).mtimeMs).toBe(1_600_000_000_000)
  })

  it('listMtime false lists the upload time; stat has the preserved mtime', async () => {
    const b = createMemBackend({ capabilities: { listMtime: false } })
    const before = Date.now()
    await writeText(b, 'f', 'x', 1_000_000_000_000)
    const [listed] = await listAll(b)
    expect(listed!.mtimeMs).toBeGreaterThanOrEqual(before)
    expect((await b.stat(p('f')))?.mtimeMs).toBe(1_000_000_000_000)
  })

  it('emptyDirs false lists no directories; hashes limits hash()', async () => {
    const b = createMemBackend({ capabilities: { emptyDirs: false, hashes: ['md5'] } })
    await writeText(b, 'd/f', 'x')
    expect(await listKeys(b)).toEqual(['d/f'])
    expect(await b.hash(p('d/f'), 'md5')).toBe('9dd4e461268c8034f5c8564e155c67a6')
    expect(codeOf(await rejectionOf(b.hash(p('d/f'), 'sha256')))).toBe('UNSUPPORTED')
  })
})

describe('filesystem-like behaviour', () => {
  it('adding or removing a name changes the parent directory mtime and version', async () => {
    const b = createMemBackend()
    await b.mkdir(p('d'), { mtimeMs: 1_000 })
    const before = (await b.stat(p('d')))!
    await writeText(b, 'd/f', 'x')
    const after = (await b.stat(p('d')))!
    expect(after.mtimeMs).toBeGreaterThan(before.mtimeMs)
    expect(after.version).not.toBe(before.version)
  })

  it('moves a directory with its contents', async () => {
    const b = createMemBackend()
    await writeText(b, 'a/x', 'x')
    await writeText(b, 'a/sub/y', 'y')
    await b.move(p('a'), p('b/c'))
    expect(await listKeys(b)).toEqual(['b/', 'b/c/', 'b/c/sub/', 'b/c/sub/y', 'b/c/x'])
    expect(await readText(b, 'b/c/sub/y')).toBe('y')
    expect(codeOf(await rejectionOf(b.move(p('b'), p('b/c/inside'))))).toBe('CONFLICT')
  })

  it('copyFrom another MemBackend copies directly; other sources are declined', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    await writeText(src, 's.txt', 'data', { mode: 0o600 })
    const entry = await dst.copyFrom(src, p('s.txt'), p('d.txt'), { mtimeMs: 5_000 })
    expect(entry).toMatchObject({ size: 4, mtimeMs: 5_000, mode: 0o600 })
    expect(await readText(dst, 'd.txt')).toBe('data')
    const foreign = { ...src, uri: 'x://' } as unknown as MemBackend
    expect(await dst.copyFrom(foreign, p('s.txt'), p('e.txt'), { mtimeMs: 1 })).toBeUndefined()
  })
})

describe('invariants (property)', () => {
  type Op = { kind: 'write'; path: string; size: number } | { kind: 'remove'; path: string }
  const segment = fc.constantFrom('a', 'b', 'a b', 'a.txt', 'a-', '\uff21', '\u{1f600}', 'caf\u00e9', 'cafe\u0301')
  const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'))
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('write' as const), path, size: fc.nat(20) }),
    fc.record({ kind: fc.constant('remove' as const), path }),
  )

  it('after any sequence of writes and removes, the listing is sorted and holds exactly the surviving files', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
        const b = createMemBackend()
        const model = new Map<string, number>()
        for (const o of ops) {
          if (o.kind === 'write') {
            const ok = await writeText(b, o.path, 'x'.repeat(o.size)).then(
              () => true,
              (err: unknown) => {
                // A file in the way of a directory (or the reverse) is a CONFLICT, never a silent merge.
                expect(codeOf(err)).toBe('CONFLICT')
                return false
              },
            )
            if (ok) model.set(o.path, o.size)
          } else {
            const ok = await b.remove(p(o.path)).then(
              () => true,
              (err: unknown) => {
                expect(codeOf(err)).toBe('CONFLICT') // a non-empty directory
                return false
              },
            )
            if (ok) model.delete(o.path)
          }
        }
        const entries = await listAll(b)
        for (let i = 1; i < entries.length; i++) expect(compareEntries(entries[i - 1]!, entries[i]!)).toBeLessThan(0)
        const files = entries.filter((e) => e.kind === 'file').map((e) => [e.path, e.size])
        expect(new Map(files as [string, number][])).toEqual(model)
      }),
      { numRuns: 200 },
    )
  })

  it('plantUnsafe names are reported, never listed', async () => {
    const b = new MemBackend()
    b.plantUnsafe('../escape')
    await writeText(b, 'ok', 'ok')
    const errors: SyncError[] = []
    expect(await listFiles(b, { onError: (e) => errors.push(e) })).toEqual(['ok'])
    expect(errors.map((e) => e.code)).toEqual(['INVALID_PATH'])
  })
})
