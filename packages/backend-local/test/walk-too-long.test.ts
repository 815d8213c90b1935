import { execFileSync } from 'node:child_process'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { SyncError } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { tempDir, withoutRootPrivileges } from './helpers.js'

/** 17 nested directories of 250 characters: the deepest one's full path is longer than PATH_MAX (4096). */
const SEGMENTS = Array.from({ length: 17 }, (_, i) => String(i + 1).padStart(250, '0'))

describe('a walk that meets a path it cannot open', () => {
  // QA 3a F9: a directory whose full path is longer than PATH_MAX was reported twice, the second
  // time as "vanished while it was listed … run again once the tree is still" (nothing vanished).
  it('reports a directory whose full path is too long once, with ENAMETOOLONG and a hint, and lists the rest', async () => {
    const root = await tempDir('too-long')
    // Made relative to the current directory (a shell cd's in), as no full path can reach it.
    const [last, ...parents] = [...SEGMENTS].reverse()
    const script = `cd "$1" && mkdir deep && cd deep && for n in ${parents.reverse().join(' ')}; do mkdir $n && cd $n; done && mkdir ${last} && echo x > ${last}/f.txt`
    try {
      execFileSync('sh', ['-c', script, 'sh', root])
      await writeFile(join(root, 'z.txt'), 'z')
      const errors: SyncError[] = []
      const seen: string[] = []
      for await (const e of createLocalBackend({ root }).list({ onError: (err) => errors.push(err) })) {
        seen.push(e.path)
      }
      const tooLong = ['deep', ...SEGMENTS].join('/')
      const reachable = SEGMENTS.slice(0, -1).map((_, i) => ['deep', ...SEGMENTS.slice(0, i + 1)].join('/'))
      expect(seen).toEqual(['deep', ...reachable, 'z.txt'])
      expect(errors.map((e) => [e.code, e.path])).toEqual([['INVALID_PATH', tooLong]])
      expect(errors[0]!.message).toMatch(/ENAMETOOLONG/)
      expect(errors[0]!.message).not.toMatch(/vanished/)
      expect(errors[0]!.hint).toMatch(/longer than this system allows/)
      expect(errors[0]!.hint).toMatch(/--exclude/)
    } finally {
      // Node's rm works by full paths too: rm -rf goes down relative to each directory.
      execFileSync('rm', ['-rf', join(root, 'deep')])
    }
  })

  // The same double report for a directory in a directory that may be read but not searched
  // (mode r--): its names come from readdir, but none can be stated.
  it('reports a directory that cannot be stated once (PERMISSION), not also as vanished', async (t) => {
    const root = await tempDir('no-search')
    await chmod(root, 0o755)
    await mkdir(join(root, 'r', 'sub'), { recursive: true })
    await writeFile(join(root, 'r', 'f'), 'f')
    await chmod(join(root, 'r'), 0o755)
    execFileSync('chmod', ['-R', 'a+rwX', root])
    await chmod(join(root, 'r'), 0o444)
    const errors: SyncError[] = []
    const result = await withoutRootPrivileges(async () => {
      const seen: string[] = []
      for await (const e of createLocalBackend({ root }).list({ onError: (err) => errors.push(err) })) {
        seen.push(e.path)
      }
      return seen
    })
    await chmod(join(root, 'r'), 0o755)
    if (!result) return t.skip('running as root without seteuid(): cannot make a directory unsearchable')
    expect(result.value).toEqual(['r'])
    expect(errors.map((e) => [e.code, e.path])).toEqual([
      ['PERMISSION', 'r/f'],
      ['PERMISSION', 'r/sub'],
    ])
  })
})
