import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it, vi } from 'vitest'
import { createLocalBackend, type LocalBackend } from '../src/index.js'
import { canPinDirectories } from '../src/pinned-dirs.js'
import { codeOf, p, tempDir, withoutRootPrivileges } from './helpers.js'

// Security review 21: as root, writing into a target another user may write, that user could swap a
// directory on the path (or the final name) for a symlink between the backend's check and its call
// by path, and have root create, replace, chmod, touch or delete files outside the target. The
// swap is made here, as such a user would, at the exact moment between the check and the use: right
// after the backend's own call on that name returns (a hook around the fs calls, below), so the
// tests are deterministic. Each fails against path-based calls; through handles, nothing outside
// the target changes.

/** A swap to make once, right after the `nth` call of one of `fns` on a path ending in `suffix`. */
interface Armed {
  readonly fns: ReadonlySet<string>
  readonly suffix: string
  nth: number
  readonly swap: () => void
}
const hook = vi.hoisted(() => ({ armed: undefined as Armed | undefined }))

function after(fn: string, path: unknown): void {
  const armed = hook.armed
  if (armed === undefined || !armed.fns.has(fn) || typeof path !== 'string' || !path.endsWith(armed.suffix)) return
  if (--armed.nth > 0) return
  hook.armed = undefined
  armed.swap()
}

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  const wrap =
    <A extends unknown[], R>(name: string, call: (...args: A) => R) =>
    (...args: A): R => {
      try {
        return call(...args)
      } finally {
        after(name, args[0])
      }
    }
  return { ...fs, lstatSync: wrap('lstatSync', fs.lstatSync), openSync: wrap('openSync', fs.openSync) }
})

vi.mock('node:fs/promises', async (importOriginal) => {
  const fsp = await importOriginal<typeof import('node:fs/promises')>()
  const wrap =
    <A extends unknown[], R>(name: string, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await call(...args)
      } finally {
        after(name, args[0])
      }
    }
  return { ...fsp, lstat: wrap('lstat', fsp.lstat), mkdir: wrap('mkdir', fsp.mkdir) }
})

/** Makes `swap` happen right after the `nth` call of one of `fns` on a path ending in `/${name}`. */
function swapAfter(fns: string[], name: string, swap: () => void, nth = 1): void {
  hook.armed = { fns: new Set(fns), suffix: `/${name}`, nth, swap }
}

const T0 = new Date('2001-02-03T04:05:06Z')

/** Everything about a tree that a write could change: names, kinds, modes, mtimes, contents. */
function snapshot(dir: string): string[] {
  const out: string[] = []
  const walk = (abs: string, rel: string): void => {
    const st = lstatSync(abs)
    const content = st.isFile() ? readFileSync(abs, 'utf8') : ''
    out.push(`${rel} ${st.mode.toString(8)} ${st.mtimeMs} ${st.uid}:${st.gid} ${content}`)
    if (st.isDirectory()) for (const name of readdirSync(abs).sort()) walk(join(abs, name), `${rel}/${name}`)
  }
  walk(dir, '.')
  return out
}

/**
 * A target with a directory `d` holding a file `f`, into which the backend has written (so `d`
 * is checked, cached, pinned), and an outside directory (think /etc) with a file `f` and a
 * file `victim`, whose snapshot is taken. `swapD` does what the other user does: `d` renamed to
 * `d-away`, a symlink to the outside directory put in its place.
 */
async function setUp(): Promise<{
  b: LocalBackend
  root: string
  outside: string
  before: string[]
  swapD: () => void
}> {
  const root = await tempDir('swap-target')
  const outside = await tempDir('swap-outside')
  writeFileSync(join(outside, 'f'), 'outside f\n')
  writeFileSync(join(outside, 'victim'), 'outside victim\n')
  for (const name of ['f', 'victim', '.']) await utimes(join(outside, name), T0, T0)
  const b = createLocalBackend({ root })
  // Twice: the first write makes `d`, the second finds it checked (the cache a swap must not fool).
  for (let i = 0; i < 2; i++) {
    await b.write(p('d/f'), Readable.from([Buffer.from('inside f\n')]), { mtimeMs: T0.getTime(), mode: 0o644 })
  }
  const before = snapshot(outside)
  const swapD = (): void => {
    renameSync(join(root, 'd'), join(root, 'd-away'))
    symlinkSync(outside, join(root, 'd'))
  }
  return { b, root, outside, before, swapD }
}

const body = (text: string): Readable => Readable.from([Buffer.from(text)])
const META = { mtimeMs: T0.getTime(), mode: 0o644 }

async function outcome(call: Promise<unknown>): Promise<unknown> {
  try {
    await call
    return 'ok'
  } catch (err) {
    return codeOf(err)
  }
}

describe.runIf(canPinDirectories())(
  'a directory swapped for a symlink between check and use (security review 21)',
  () => {
    it('a write into it, swapped before the check (its handle cached): refused, nothing made outside', async () => {
      const { b, outside, before, swapD } = await setUp()
      swapD()
      expect(await outcome(b.write(p('d/x'), body('pwned\n'), META))).toBe('INVALID_PATH')
      expect(snapshot(outside)).toEqual(before)
    })

    it('a write into it, swapped right after the check: lands in the directory checked', async () => {
      const { b, root, outside, before, swapD } = await setUp()
      // The one look at `d` per write: the parent's check, which is also its cached handle's check
      // that its name still leads to it (a swap after it redirects nothing: calls go through the handle).
      swapAfter(['lstatSync'], 'd', swapD)
      expect(await outcome(b.write(p('d/victim'), body('written\n'), META))).toBe('ok')
      expect(hook.armed).toBeUndefined() // (the swap was made)
      expect(lstatSync(join(root, 'd')).isSymbolicLink()).toBe(true)
      expect(readFileSync(join(root, 'd-away', 'victim'), 'utf8')).toBe('written\n')
      expect(snapshot(outside)).toEqual(before)
    })

    it('a file replaced in it (over an existing name): never outside', async () => {
      const { b, root, outside, before, swapD } = await setUp()
      swapAfter(['lstatSync'], 'd', swapD)
      expect(await outcome(b.write(p('d/f'), body('replaced\n'), META))).toBe('ok')
      expect(hook.armed).toBeUndefined()
      expect(readFileSync(join(root, 'd-away', 'f'), 'utf8')).toBe('replaced\n')
      expect(snapshot(outside)).toEqual(before)
    })

    it('a symlink made in it: never outside', async () => {
      const { b, root, outside, before, swapD } = await setUp()
      swapAfter(['lstatSync'], 'd', swapD)
      expect(await outcome(b.symlink(p('d/l'), '/'))).toBe('ok')
      expect(hook.armed).toBeUndefined()
      expect(lstatSync(join(root, 'd-away', 'l')).isSymbolicLink()).toBe(true)
      expect(snapshot(outside)).toEqual(before)
    })

    it('a symlink made in it, swapped before the check: refused, never outside', async () => {
      const { b, outside, before, swapD } = await setUp()
      swapD()
      expect(await outcome(b.symlink(p('d/l'), '/'))).toBe('INVALID_PATH')
      expect(snapshot(outside)).toEqual(before)
    })

    it('a directory made in it: never outside', async () => {
      const { b, outside, before, swapD } = await setUp()
      swapAfter(['lstatSync'], 'd', swapD)
      expect(await outcome(b.mkdir(p('d/sub'), { mode: 0o777 }))).toBe('INVALID_PATH')
      expect(snapshot(outside)).toEqual(before)
    })

    it('a write into a new directory below it, swapped as that directory is made: nothing made outside', async () => {
      const { b, outside, before, swapD } = await setUp()
      // The parents of d/new/x are made one by one, each checked (lstat) before the next is made in it.
      swapAfter(['lstat'], 'd', swapD)
      expect(await outcome(b.write(p('d/new/x'), body('pwned\n'), META))).toBe('INVALID_PATH')
      expect(hook.armed).toBeUndefined()
      expect(snapshot(outside)).toEqual(before)
    })

    it('a file removed from it, swapped before the check: refused, never outside', async () => {
      const { b, outside, before, swapD } = await setUp()
      swapD()
      expect(await outcome(b.remove(p('d/f')))).toBe('INVALID_PATH')
      expect(snapshot(outside)).toEqual(before)
    })

    it('a file removed from it, swapped right after the check: removed from the directory checked', async () => {
      const { b, root, outside, before, swapD } = await setUp()
      // (The parent's lstat is its cached handle's check too.)
      swapAfter(['lstatSync'], 'd', swapD)
      expect(await outcome(b.remove(p('d/f')))).toBe('ok')
      expect(lstatSync(join(root, 'd')).isSymbolicLink()).toBe(true)
      expect(readdirSync(join(root, 'd-away'))).toEqual([])
      expect(snapshot(outside)).toEqual(before)
    })

    it("a file's mtime set in it: never outside", async () => {
      const { b, outside, before, swapD } = await setUp()
      swapAfter(['lstatSync'], 'd', swapD)
      expect(await outcome(b.setMtime(p('d/f'), Date.now()))).toBe('INVALID_PATH')
      expect(snapshot(outside)).toEqual(before)
    })

    it("a file's mode set in it: never outside", async () => {
      const { b, outside, before, swapD } = await setUp()
      swapAfter(['lstatSync'], 'd', swapD)
      expect(await outcome(b.setMode(p('d/f'), 0o777))).toBe('INVALID_PATH')
      expect(snapshot(outside)).toEqual(before)
    })

    it('a file moved into it: never outside', async () => {
      const { b, outside, before, swapD } = await setUp()
      await b.write(p('e/victim'), body('moved\n'), META)
      swapAfter(['lstatSync'], 'd', swapD)
      expect(await outcome(b.move(p('e/victim'), p('d/victim')))).toBe('INVALID_PATH')
      expect(snapshot(outside)).toEqual(before)
    })

    it('a file moved out of it: never one from outside', async () => {
      const { b, root, outside, before, swapD } = await setUp()
      swapAfter(['lstatSync'], 'd', swapD)
      expect(await outcome(b.move(p('d/victim'), p('stolen')))).toBe('INVALID_PATH')
      expect(readdirSync(root).sort()).toEqual(['d', 'd-away'])
      expect(snapshot(outside)).toEqual(before)
    })
  },
)

describe.runIf(canPinDirectories())(
  'the final name swapped for a symlink between check and use (security review 21)',
  () => {
    it('mkdir of a directory that is there: its mode and mtime never set through a symlink put at its name', async () => {
      const { b, root, outside, before, swapD } = await setUp()
      // After the backend's last look at `d` before it sets the mode (a lstat by path; an open of
      // the directory itself through its parent's handle once fixed).
      swapAfter(['lstat', 'openSync'], 'd', swapD)
      const result = await outcome(b.mkdir(p('d'), { mode: 0o700, mtimeMs: Date.UTC(2010, 0, 1) }))
      expect(hook.armed).toBeUndefined()
      expect(snapshot(outside)).toEqual(before)
      // The directory checked got them (it was opened before the swap).
      expect(result).toBe('ok')
      const st = lstatSync(join(root, 'd-away'))
      expect([st.mode & 0o7777, st.mtimeMs]).toEqual([0o700, Date.UTC(2010, 0, 1)])
    })

    it('mkdir of a directory replaced by a symlink just after the mkdir: CONFLICT, nothing outside changed', async () => {
      const { b, outside, before, swapD } = await setUp()
      swapAfter(['mkdir'], 'd', swapD)
      const err = await b.mkdir(p('d'), { mode: 0o700, mtimeMs: Date.UTC(2010, 0, 1) }).catch((e: unknown) => e)
      expect([codeOf(err), (err as Error).message]).toEqual([
        'CONFLICT',
        'CONFLICT: local.mkdir (d): a symlink is in the way',
      ])
      expect(snapshot(outside)).toEqual(before)
    })

    it("setMtime of a file swapped for a symlink after its lstat: the link's target is not touched", async () => {
      const { b, root, outside, before } = await setUp()
      swapAfter(['lstat'], 'f', () => {
        rmSync(join(root, 'd', 'f'))
        symlinkSync(join(outside, 'victim'), join(root, 'd', 'f'))
      })
      expect(await outcome(b.setMtime(p('d/f'), Date.UTC(2010, 0, 1)))).toBe('CONFLICT')
      expect(hook.armed).toBeUndefined()
      expect(snapshot(outside)).toEqual(before)
    })

    it('setMtime of a directory swapped for a symlink after its lstat: the outside directory is not touched', async () => {
      const { b, outside, before, swapD } = await setUp()
      swapAfter(['lstat'], 'd', swapD)
      expect(await outcome(b.setMtime(p('d'), Date.UTC(2010, 0, 1)))).toBe('CONFLICT')
      expect(snapshot(outside)).toEqual(before)
    })
  },
)

describe.runIf(canPinDirectories())('a directory replaced legitimately after it was written into', () => {
  it('deleted and made again: the next writes land in the new one', async () => {
    const { b, root } = await setUp()
    rmSync(join(root, 'd'), { recursive: true })
    mkdirSync(join(root, 'd'))
    await b.write(p('d/g'), body('g\n'), META)
    await b.mkdir(p('d/sub'), { mode: 0o755 })
    await b.setMtime(p('d/g'), Date.UTC(2010, 0, 1))
    expect(readdirSync(join(root, 'd')).sort()).toEqual(['g', 'sub'])
    expect(lstatSync(join(root, 'd', 'g')).mtimeMs).toBe(Date.UTC(2010, 0, 1))
    await b.remove(p('d/g'))
    expect(readdirSync(join(root, 'd'))).toEqual(['sub'])
  })

  it('renamed away and another made in its place: written by name, not into the old one', async () => {
    const { b, root } = await setUp()
    renameSync(join(root, 'd'), join(root, 'old'))
    mkdirSync(join(root, 'd'))
    await b.write(p('d/g'), body('g\n'), META)
    expect(readdirSync(join(root, 'd'))).toEqual(['g'])
    expect(readdirSync(join(root, 'old'))).toEqual(['f'])
  })

  it('the root deleted and made again: written into the new root', async () => {
    const { b, root } = await setUp()
    rmSync(root, { recursive: true })
    await b.write(p('d/g'), body('g\n'), META)
    expect(readdirSync(join(root, 'd'))).toEqual(['g'])
  })

  it('moved by the backend itself: its old handle is not used for what is made at the old name', async () => {
    const { b, root } = await setUp()
    await b.move(p('d'), p('moved'))
    await b.write(p('d/g'), body('g\n'), META)
    expect(readdirSync(join(root, 'd'))).toEqual(['g'])
    expect(readdirSync(join(root, 'moved'))).toEqual(['f'])
  })
})

describe.runIf(canPinDirectories())('a directory that may be written but not read, as another user than root', () => {
  it('is written into by path, as before (no handle can be opened on it)', async (t) => {
    const root = await tempDir('write-only')
    mkdirSync(join(root, 'd'))
    const done = await withoutRootPrivileges(async () => {
      chmodSync(join(root, 'd'), 0o300)
      const b = createLocalBackend({ root })
      await b.write(p('d/x'), body('x\n'), META)
      await b.setMtime(p('d/x'), Date.UTC(2010, 0, 1))
      await b.remove(p('d/x'))
      await b.close()
      chmodSync(join(root, 'd'), 0o700)
      return readdirSync(join(root, 'd'))
    }, root)
    if (done === undefined) return t.skip('cannot drop root privileges here')
    expect(done.value).toEqual([])
  })
})

// Security review 22 #2: a symlink another user replaced by a file between the walk's lstat and its
// readlink was reported as "UNKNOWN … EINVAL … This looks like a bug in syncflow".
describe('a symlink replaced while it is listed', () => {
  it('is a CONFLICT "changed while it was listed", not an internal error', async () => {
    const root = await tempDir('swap-listed')
    symlinkSync('somewhere', join(root, 'l'))
    writeFileSync(join(root, 'm'), 'm')
    const errors: unknown[] = []
    swapAfter(['lstatSync'], 'l', () => {
      rmSync(join(root, 'l'))
      writeFileSync(join(root, 'l'), 'now a file')
    })
    const listed: string[] = []
    for await (const e of createLocalBackend({ root }).list({ onError: (err) => errors.push(err) })) listed.push(e.path)
    expect(listed).toEqual(['m'])
    expect(errors.map((e) => [codeOf(e), (e as Error).message])).toEqual([
      ['CONFLICT', 'CONFLICT: local.list (l): changed while it was listed (no longer a symlink)'],
    ])
  })
})

// QA 26j #3: a directory another user swapped for a symlink between the walk's lstat of it and its
// readdir was read by path: the walk listed, and entered, the tree the link leads to (syncflow serve,
// as root, sent a client the names, sizes and times below a directory outside its root).
describe.runIf(canPinDirectories())('a directory swapped for a symlink while it is listed', () => {
  for (const symlinks of ['preserve', 'skip'] as const) {
    it(`is a CONFLICT, and nothing of the tree the link leads to is listed (--symlinks ${symlinks})`, async () => {
      const root = await tempDir('swap-listed-dir')
      const outside = await tempDir('swap-listed-outside')
      mkdirSync(join(root, 'd'))
      writeFileSync(join(root, 'd', 'f'), 'inside')
      writeFileSync(join(outside, 'SECRET'), 'outside')
      mkdirSync(join(outside, 'deep'))
      writeFileSync(join(outside, 'deep', 'SECRET2'), 'outside')
      writeFileSync(join(root, 'e'), 'e')
      swapAfter(['lstatSync'], 'd', () => {
        renameSync(join(root, 'd'), join(root, 'd-away'))
        symlinkSync(outside, join(root, 'd'))
      })
      const errors: unknown[] = []
      const listed: string[] = []
      const b = createLocalBackend({ root, symlinks })
      for await (const e of b.list({ onError: (err) => errors.push(err) })) listed.push(e.path)
      expect(hook.armed).toBeUndefined() // the swap was made
      expect(listed).toEqual(['d', 'e'])
      expect(errors.map((e) => [codeOf(e), (e as { path?: string }).path])).toEqual([['CONFLICT', 'd']])
    })
  }
})

// Review h-rev-grpc: `syncflow serve` gives a client root `a/b` a backend rooted at <served>/a/b,
// checked for symlinks by the server a moment before each call. The root itself was opened by its
// path (O_NOFOLLOW holds for the last component only), and its cached handle re-checked with an
// lstat that follows `a`: `a` swapped for a symlink sent the writes through it. With `rootBelow`
// the root is opened from there down, never through a symlink.
describe.runIf(canPinDirectories())('a directory above the root (below `rootBelow`) swapped for a symlink', () => {
  async function setUpBelow(): Promise<{ top: string; outside: string; b: LocalBackend }> {
    const top = await tempDir('below-top')
    const outside = await tempDir('below-outside')
    mkdirSync(join(top, 'a/b'), { recursive: true })
    mkdirSync(join(outside, 'b'))
    return { top, outside, b: createLocalBackend({ root: join(top, 'a/b'), rootBelow: top }) }
  }
  const swapA = (top: string, outside: string): void => {
    renameSync(join(top, 'a'), join(top, 'a-away'))
    symlinkSync(outside, join(top, 'a'))
  }

  it('after a first write: the next ones, and every other change, are refused, nothing outside', async () => {
    const { top, outside, b } = await setUpBelow()
    await b.write(p('first'), body('in\n'), META)
    swapA(top, outside)
    expect(await outcome(b.write(p('x'), body('out\n'), META))).toBe('INVALID_PATH')
    expect(await outcome(b.mkdir(p('d')))).toBe('INVALID_PATH')
    expect(await outcome(b.symlink(p('l'), '/etc'))).toBe('INVALID_PATH')
    expect(readdirSync(join(outside, 'b'))).toEqual([])
    expect(readdirSync(join(top, 'a-away/b'))).toEqual(['first'])
  })

  it('the root missing, `a` a symlink: nothing is made outside (no mkdir -p through it)', async () => {
    const top = await tempDir('below-top')
    const outside = await tempDir('below-outside')
    symlinkSync(outside, join(top, 'a'))
    const b = createLocalBackend({ root: join(top, 'a/b/c'), rootBelow: top })
    expect(await outcome(b.write(p('x'), body('out\n'), META))).toBe('INVALID_PATH')
    expect(await outcome(b.mkdir(p('d')))).toBe('INVALID_PATH')
    expect(readdirSync(outside)).toEqual([])
  })

  it('the root missing below real directories: made, and written into', async () => {
    const top = await tempDir('below-top')
    const b = createLocalBackend({ root: join(top, 'a/b/c'), rootBelow: top })
    await b.write(p('d/x'), body('in\n'), META)
    expect(readFileSync(join(top, 'a/b/c/d/x'), 'utf8')).toBe('in\n')
  })

  it('before any call: the root is refused, not resolved through the symlink for good', async () => {
    const { top, outside, b } = await setUpBelow()
    swapA(top, outside)
    expect(await outcome(b.write(p('x'), body('out\n'), META))).toBe('INVALID_PATH')
    renameSync(join(top, 'a'), join(top, 'a-link'))
    renameSync(join(top, 'a-away'), join(top, 'a'))
    await b.write(p('y'), body('in\n'), META)
    expect(readdirSync(join(outside, 'b'))).toEqual([])
    expect(readdirSync(join(top, 'a/b'))).toEqual(['y'])
  })
})
