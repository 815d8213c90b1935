import { Readable } from 'node:stream'
import { type Backend, loadIgnoreFile, type RelPath, SyncError } from '@syncflow/core'
import { describe, expect, it } from 'vitest'

/** A backend whose only working member is `read`, over a map of file contents. */
function readOnlyBackend(files: Record<string, Buffer | Error>): Backend {
  const unused = () => {
    throw new Error('not used by loadIgnoreFile')
  }
  return {
    uri: 'test://',
    capabilities: {
      hashes: [],
      mtimePrecisionMs: 1,
      listMtime: true,
      emptyDirs: true,
      symlinks: false,
      permissions: false,
      caseSensitive: true,
      watch: 'none',
    },
    async read(path: RelPath) {
      const body = files[path]
      if (body === undefined) throw new SyncError('NOT_FOUND', 'no such file', { op: 'test.read', path })
      if (body instanceof Error) throw body
      // Tiny chunks for small files, so that chunk boundaries fall inside UTF-8 sequences.
      const n = body.length > 4096 ? 65536 : 3
      return Readable.from(
        Array.from({ length: Math.ceil(body.length / n) }, (_, i) => body.subarray(i * n, i * n + n)),
      )
    },
    list: unused,
    stat: unused,
    write: unused,
    remove: unused,
    close: async () => {},
    rootExists: async () => true,
  }
}

describe('loadIgnoreFile', () => {
  it('reads .syncflowignore at the root as UTF-8, without a BOM', async () => {
    const text = '\uFEFF# caf\u00e9 \u{1F600}\n*.log\n!keep.log\n'
    expect(await loadIgnoreFile(readOnlyBackend({ '.syncflowignore': Buffer.from(text) }))).toBe(
      '# caf\u00e9 \u{1F600}\n*.log\n!keep.log\n',
    )
  })

  it('returns undefined when there is none', async () => {
    expect(await loadIgnoreFile(readOnlyBackend({}))).toBeUndefined()
  })

  it('passes other errors on', async () => {
    const denied = new SyncError('PERMISSION', 'denied', { op: 'test.read', path: '.syncflowignore' })
    await expect(loadIgnoreFile(readOnlyBackend({ '.syncflowignore': denied }))).rejects.toBe(denied)
  })

  it('refuses a file over 1 MiB', async () => {
    const big = Buffer.alloc(1024 * 1024 + 1, 'a')
    await expect(loadIgnoreFile(readOnlyBackend({ '.syncflowignore': big }))).rejects.toMatchObject({ code: 'USAGE' })
  })
})
