import { lstat, mkdir, readFile, readlink, rmdir, symlink, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Action, createMemBackend, executeAction } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { codeOf, p, tempDir } from './helpers.js'

// The local backend re-checks a file's delete itself (capabilities.removeExpect), which made the
// engine skip its re-check of a planned symlink or empty directory too, as for S3 (which has
// neither): a file written in place of one after the listing was deleted with it, the delete
// reported done (QA 29k, whose fix never reached a local target).

it.each([
  ['a symlink', (at: string) => symlink('elsewhere', at), unlink],
  ['an empty directory', (at: string) => mkdir(at), rmdir],
] as const)(
  '%s planned for delete, replaced by a file since the listing, is left as it is (CONFLICT)',
  async (_, make, unmake) => {
    const root = await tempDir('replaced')
    const at = join(root, 'x')
    await make(at)
    const target = createLocalBackend({ root })
    const planned = await target.stat(p('x'))
    expect(planned).toBeDefined()
    await unmake(at)
    await writeFile(at, 'mine')

    const action: Action = { kind: 'delete', path: p('x'), target: planned!, reason: 'not in source' }
    const events = await lastValueFrom(
      executeAction(action, { source: createMemBackend(), target, retries: 0 }).pipe(toArray()),
    )
    await target.close()

    expect(events.map((e) => e.type)).toEqual(['started', 'failed'])
    expect(events[1]).toMatchObject({ error: { code: 'CONFLICT' } })
    expect(await readFile(at, 'utf8')).toBe('mine')
  },
)

it.each([
  ['a symlink', (at: string) => symlink('elsewhere', at)],
  ['an empty directory', (at: string) => mkdir(at)],
] as const)(
  'remove with a file expected, where the path now holds %s, fails CONFLICT and leaves it',
  async (what, make) => {
    const root = await tempDir('replaced')
    const at = join(root, 'x')
    await writeFile(at, 'planned')
    const target = createLocalBackend({ root })
    const planned = (await target.stat(p('x')))!
    await unlink(at)
    await make(at)

    const err = await target.remove(p('x'), { expect: planned }).catch((e: unknown) => e)
    await target.close()

    expect(codeOf(err)).toBe('CONFLICT')
    const st = await lstat(at)
    if (what === 'a symlink') expect(await readlink(at)).toBe('elsewhere')
    else expect(st.isDirectory()).toBe(true)
  },
)
