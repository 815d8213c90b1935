import { existsSync, mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it, vi } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { codeOf, p, tempDir } from './helpers.js'

// Where directory handles cannot be had (macOS, Windows: no /proc/self/fd), every write-side call
// goes by path. Only the platform check is replaced here; the calls are real.
vi.mock('../src/pinned-dirs.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../src/pinned-dirs.js')>()),
  canPinDirectories: () => false,
}))

const META = { mtimeMs: Date.UTC(2001, 1, 3), mode: 0o644 }
const body = (text: string): Readable => Readable.from([Buffer.from(text)])

describe('a write into new directories below a symlink in the target, calls by path (not Linux)', () => {
  it('is refused as INVALID_PATH and makes nothing outside the target', async () => {
    const root = await tempDir('by-path-target')
    const outside = await tempDir('by-path-outside')
    // `a` leads outside, where a `b` is: the nearest existing directory of a/b/x/f by path is a/b.
    mkdirSync(join(outside, 'b'))
    symlinkSync(outside, join(root, 'a'))
    const b = createLocalBackend({ root })
    // Not created first: the root is there, so the first write already makes its parents.
    const outcome = await b.write(p('a/b/x/f'), body('pwned\n'), META).then(
      () => 'ok',
      (err: unknown) => codeOf(err),
    )
    await b.close()
    expect(outcome).toBe('INVALID_PATH')
    expect(existsSync(join(outside, 'b', 'x'))).toBe(false)
  })
})
