import { writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RelPath } from '@syncflow/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { escapedName } from '../src/undecodable-names.js'

describe('escapedName', () => {
  it('writes valid UTF-8 as itself and every other byte as \\xNN', () => {
    const bytes = (...parts: (string | number[])[]) =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))))
    expect(escapedName(bytes('caf', [0xe9], '.txt'))).toBe('caf\\xe9.txt')
    // Multi-byte characters kept; a lone continuation byte, an overlong form and a cut sequence escaped.
    expect(escapedName(bytes('é😀', [0x80], 'x'))).toBe('é😀\\x80x')
    expect(escapedName(bytes([0xc0, 0xaf]))).toBe('\\xc0\\xaf')
    expect(escapedName(bytes('a', [0xe2, 0x82]))).toBe('a\\xe2\\x82')
    expect(escapedName(bytes([0xff]))).toBe('\\xff')
  })
})

// A watch's event for a new `bad\xff.txt` is stated first: the stat said the name without its bytes
// or the mv hint the listing gives, and the watch's failure line lacked them (QA 25d).
describe('a stat of the decoding of a name that is not UTF-8', () => {
  it('says its bytes and the mv hint, as the listing does', async () => {
    const root = await mkdtemp(join(tmpdir(), 'syncflow-undecodable-'))
    onTestFinished(() => rm(root, { recursive: true, force: true }))
    writeFileSync(Buffer.concat([Buffer.from(`${root}/bad`), Buffer.from([0xff]), Buffer.from('.txt')]), 'x')
    const b = createLocalBackend({ root })
    onTestFinished(() => b.close())
    const err = await b.stat('bad\ufffd.txt' as RelPath).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({
      code: 'INVALID_PATH',
      message: expect.stringContaining('(its bytes: bad\\xff.txt)'),
      hint: expect.stringContaining("mv $'bad\\xff.txt' NEWNAME"),
    })
  })
})
