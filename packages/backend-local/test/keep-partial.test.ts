import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdtemp, open, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { type RelPath, SyncError } from '@syncflow/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLocalBackend, type LocalBackend, type LocalWriteOptions } from '../src/index.js'
import {
  isStaleTemp,
  PARTIAL_MIN_BYTES,
  partialNameOf,
  partialPathOf,
  STALE_PARTIAL_AGE_MS,
  tempOwner,
} from '../src/temp-file.js'

// WriteOptions.keepPartial (what `syncflow serve` passes, with partialFromStart: false, and the
// engine for a pull of a new file): an interrupted write keeps what it wrote as the file's partial,
// for the next one to resume from; a completed one removes it. `partialOf` finds it.

let root: string
let b: LocalBackend
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'syncflow-partial-'))
  b = createLocalBackend({ root, groupCommit: false })
})
afterEach(async () => {
  await b.close()
  await rm(root, { recursive: true, force: true })
})

/** A body that yields `first`, then fails with `err` (an upload cut midway). */
function cutBody(first: Buffer, err: Error): Readable {
  return Readable.from(
    (async function* () {
      yield first
      throw err
    })(),
  )
}

const cut = () => new SyncError('TRANSIENT', 'upload ended before its end marker')

/** A write of `name` (with `opts`) whose body fails with `err` after 2 MiB. */
const cutWrite = (name: string, err: Error, opts: LocalWriteOptions) =>
  b.write(name as RelPath, cutBody(randomBytes(2 * PARTIAL_MIN_BYTES), err), { mtimeMs: 1, size }, opts)
const size = 4 * PARTIAL_MIN_BYTES

describe('LocalBackend.write with keepPartial', () => {
  it('keeps what an interrupted upload wrote as the partial, never listed, and drops it once the file is written', async () => {
    const head = randomBytes(2 * PARTIAL_MIN_BYTES)
    const w = b.write('d/f.bin' as RelPath, cutBody(head, cut()), { mtimeMs: 1, size }, { keepPartial: true })
    await expect(w).rejects.toMatchObject({ code: 'TRANSIENT' })
    expect(await readdir(join(root, 'd'))).toEqual([partialNameOf('f.bin')])
    expect((await readFile(join(root, partialPathOf('d/f.bin')))).equals(head)).toBe(true)
    const listed: string[] = []
    const notices: string[] = []
    for await (const e of b.list({ onNotice: (n) => notices.push(n.code) })) listed.push(e.path)
    expect(listed).toEqual(['d'])
    expect(notices).toEqual([])
    const whole = randomBytes(size)
    await b.write('d/f.bin' as RelPath, Readable.from([whole]), { mtimeMs: 1, size }, { keepPartial: true })
    expect(await readdir(join(root, 'd'))).toEqual(['f.bin'])
  })

  it('an aborted upload keeps its partial too; one under 1 MiB, or without keepPartial, keeps none', async () => {
    const ac = new AbortController()
    const body = new Readable({ read() {} })
    body.push(randomBytes(PARTIAL_MIN_BYTES + 1))
    // (As `syncflow serve` writes: the temp file has no second name while it is written.)
    const w = b.write(
      'a.bin' as RelPath,
      body,
      { mtimeMs: 1, size },
      { keepPartial: true, partialFromStart: false, signal: ac.signal },
    )
    await expect.poll(async () => (await readdir(root)).length).toBe(1)
    await expect
      .poll(async () => (await readFile(join(root, (await readdir(root))[0]!))).length)
      .toBe(PARTIAL_MIN_BYTES + 1)
    ac.abort()
    await expect(w).rejects.toBeDefined()
    expect(await readdir(root)).toEqual([partialNameOf('a.bin')])

    const small = b.write(
      's.bin' as RelPath,
      cutBody(randomBytes(1000), cut()),
      { mtimeMs: 1, size },
      { keepPartial: true },
    )
    await expect(small).rejects.toMatchObject({ code: 'TRANSIENT' })
    const plain = b.write('p.bin' as RelPath, cutBody(randomBytes(2 * PARTIAL_MIN_BYTES), cut()), { mtimeMs: 1, size })
    await expect(plain).rejects.toMatchObject({ code: 'TRANSIENT' })
    expect(await readdir(root)).toEqual([partialNameOf('a.bin')])
  })

  it('a failed check of a patch made from the partial (CHECKSUM) keeps nothing and drops the partial; of another, keeps it', async () => {
    const bad = () => new SyncError('CHECKSUM', 'the patched file does not match')
    await writeFile(join(root, partialNameOf('c.bin')), randomBytes(2 * PARTIAL_MIN_BYTES))
    const other = cutWrite('c.bin', bad(), { keepPartial: true })
    await expect(other).rejects.toMatchObject({ code: 'CHECKSUM' })
    expect(await readdir(root)).toEqual([partialNameOf('c.bin')])
    const fromIt = cutWrite('c.bin', bad(), { keepPartial: true, partialIsBase: true })
    await expect(fromIt).rejects.toMatchObject({ code: 'CHECKSUM' })
    expect(await readdir(root)).toEqual([])
  })

  it('a full disk drops the partial: hidden, it must not keep the disk full', async () => {
    await writeFile(join(root, partialNameOf('n.bin')), randomBytes(2 * PARTIAL_MIN_BYTES))
    const full = new SyncError('NO_SPACE', 'no space left on device')
    const w = cutWrite('n.bin', full, { keepPartial: true })
    await expect(w).rejects.toMatchObject({ code: 'NO_SPACE' })
    expect(await readdir(root)).toEqual([])
  })

  it('keeps the longer of a new interruption and the partial it has', async () => {
    const long = randomBytes(3 * PARTIAL_MIN_BYTES)
    await writeFile(join(root, partialNameOf('l.bin')), long)
    const w = cutWrite('l.bin', cut(), { keepPartial: true })
    await expect(w).rejects.toMatchObject({ code: 'TRANSIENT' })
    expect((await readFile(join(root, partialNameOf('l.bin')))).equals(long)).toBe(true)
  })

  it('is stale after a day, where a temp file is after an hour, whatever its pid says', () => {
    const owner = tempOwner(partialNameOf('f.bin'))!
    expect(owner).toEqual({ pid: 0, here: false })
    const now = Date.now()
    expect(isStaleTemp(owner, now - 2 * 60 * 60 * 1000, now)).toBe(false)
    expect(isStaleTemp(owner, now - STALE_PARTIAL_AGE_MS - 1000, now)).toBe(true)
  })
})

describe('a write with keepPartial (and partialFromStart, the default), and partialOf', () => {
  /** A body that yields `first`, then waits (a pull under way) until `release` is called. */
  function heldBody(first: Buffer): { body: Readable; release: (rest: Buffer) => void } {
    const body = new Readable({ read() {} })
    body.push(first)
    return {
      body,
      release: (rest) => {
        body.push(rest)
        body.push(null)
      },
    }
  }

  // The partial was the file under a second name: its unlink moved the ctime, part of the version.
  // An entry taken before it was recorded, and the next two-way run took the file for changed and
  // kept a false conflict copy of every big file it had pulled.
  it('returns the entry of the file as it is once its second name is gone (the version recorded)', async () => {
    const data = randomBytes(3 * PARTIAL_MIN_BYTES)
    const written = await b.write(
      'v.bin' as RelPath,
      Readable.from([data]),
      { mtimeMs: 1, size: data.length },
      {
        keepPartial: true,
      },
    )
    expect(await readdir(root)).toEqual(['v.bin'])
    expect(written.version).toBe((await b.stat('v.bin' as RelPath))?.version)
  })

  it('is the partial from its first bytes on (what a killed process leaves), and none once written', async () => {
    const head = randomBytes(2 * PARTIAL_MIN_BYTES)
    const { body, release } = heldBody(head)
    const w = b.write('d/k.bin' as RelPath, body, { mtimeMs: 1, size }, { keepPartial: true })
    const partial = join(root, partialPathOf('d/k.bin'))
    // What a SIGKILL would leave now: the temp file, and its bytes under the partial's name.
    await expect.poll(async () => (await stat(partial).catch(() => undefined))?.size).toBe(head.length)
    const names = await readdir(join(root, 'd'))
    expect(names).toHaveLength(2)
    // While the write goes on, its second name is no interrupted run's partial (another job's pull of
    // the file would take it and fail, review of the pull resume #6): offered once the temp file is
    // gone, as a dead process's is removed by the next run's listing.
    expect(await b.partialOf('d/k.bin' as RelPath)).toBeUndefined()
    const rest = randomBytes(size - head.length)
    release(rest)
    await w
    expect(await readdir(join(root, 'd'))).toEqual(['k.bin'])
    expect((await readFile(join(root, 'd/k.bin'))).equals(Buffer.concat([head, rest]))).toBe(true)
    expect(await b.partialOf('d/k.bin' as RelPath)).toBeUndefined()
  })

  it('an interruption keeps it (1 MiB or more) or drops it (less), as without the second name', async () => {
    const big = cutWrite('big.bin', cut(), { keepPartial: true })
    await expect(big).rejects.toMatchObject({ code: 'TRANSIENT' })
    const small = b.write(
      'small.bin' as RelPath,
      cutBody(randomBytes(1000), cut()),
      { mtimeMs: 1, size },
      { keepPartial: true },
    )
    await expect(small).rejects.toMatchObject({ code: 'TRANSIENT' })
    expect(await readdir(root)).toEqual([partialNameOf('big.bin')])
    expect((await b.partialOf('big.bin' as RelPath))?.size).toBe(2 * PARTIAL_MIN_BYTES)
  })

  it('a full disk drops it, as it drops a partial kept before', async () => {
    const full = new SyncError('NO_SPACE', 'no space left on device')
    const w = cutWrite('n.bin', full, { keepPartial: true })
    await expect(w).rejects.toMatchObject({ code: 'NO_SPACE' })
    expect(await readdir(root)).toEqual([])
  })

  it('partialOf reads the partial, range by range, and fails once it changed; a symlink there is none', async () => {
    const kept = randomBytes(2 * PARTIAL_MIN_BYTES)
    await writeFile(join(root, partialNameOf('r.bin')), kept)
    const found = await b.partialOf('r.bin' as RelPath)
    expect(found?.size).toBe(kept.length)
    const chunks: Buffer[] = []
    for await (const c of await found!.read({ offset: 1000, length: 5000 })) chunks.push(c as Buffer)
    expect(Buffer.concat(chunks).equals(kept.subarray(1000, 6000))).toBe(true)
    await writeFile(join(root, partialNameOf('r.bin')), randomBytes(3 * PARTIAL_MIN_BYTES))
    await expect(
      (async () => {
        for await (const _ of await found!.read()) {
          // read to its end
        }
      })(),
    ).rejects.toBeInstanceOf(SyncError)

    await symlink(join(root, partialNameOf('r.bin')), join(root, partialNameOf('l.bin')))
    expect(await b.partialOf('l.bin' as RelPath)).toBeUndefined()
    expect(await b.partialOf('none.bin' as RelPath)).toBeUndefined()
  })
})

describe('#keepPartial (review of the changes of 2026-12-07)', () => {
  // (A resumed write of a bigger file than the ones above.)
  const size = 16 * PARTIAL_MIN_BYTES

  it('a resume that fetched another version of the file keeps its progress even when both versions share their first 64 KiB', async () => {
    // The partial an earlier, stopped pull kept: 6 MiB of version 1 (an image, an archive: a
    // header of 64 KiB that does not change).
    const header = randomBytes(64 * 1024)
    const v1 = Buffer.concat([header, randomBytes(6 * PARTIAL_MIN_BYTES - header.length)])
    await writeFile(join(root, partialNameOf('img.bin')), v1)
    // The source is version 2 now: the resume from that partial reuses only the header, fetches
    // the rest, and is stopped again after 4 MiB of version 2.
    const v2head = Buffer.concat([header, randomBytes(4 * PARTIAL_MIN_BYTES - header.length)])
    const cut = new SyncError('TRANSIENT', 'connection lost')
    const w = b.write(
      'img.bin' as RelPath,
      cutBody(v2head, cut),
      { mtimeMs: 1, size },
      {
        keepPartial: true,
        partialIsBase: true,
      },
    )
    await expect(w).rejects.toMatchObject({ code: 'TRANSIENT' })
    // What should be kept: version 2's 4 MiB (the only base of the file now, review of the pull
    // resume #1). What is: version 1's 6 MiB, so every later resume starts again from the header.
    const kept = await readFile(join(root, partialNameOf('img.bin')))
    expect(kept.subarray(0, v2head.length).equals(v2head)).toBe(true)
  })

  it('a failed resumed write never hangs on a FIFO put at the partial name (a served root another user writes to)', async () => {
    const partial = join(root, partialNameOf('f.bin'))
    execFileSync('mkfifo', [partial])
    // A patch from the partial whose check failed (nothing interrupted): #keepPartial compares starts.
    const bad = new SyncError('CHECKSUM', 'the patched file does not match')
    const w = b.write(
      'f.bin' as RelPath,
      cutBody(randomBytes(2 * PARTIAL_MIN_BYTES), bad),
      { mtimeMs: 1, size },
      {
        keepPartial: true,
        partialIsBase: true,
      },
    )
    const settled = w.then(
      () => 'settled',
      () => 'settled',
    )
    let timer: NodeJS.Timeout | undefined
    const verdict = await Promise.race([
      settled,
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('hung'), 5000)
      }),
    ])
    clearTimeout(timer)
    if (verdict === 'hung') {
      // Unblock the thread-pool thread stuck in open(2) of the FIFO, then let the write finish.
      const fh = await open(partial, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined)
      await fh?.close()
      await settled
    }
    expect(verdict).toBe('settled')
  }, 20_000)
})
