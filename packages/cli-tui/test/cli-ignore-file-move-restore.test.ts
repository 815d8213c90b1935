import { link, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, readTree, runCli, tempDir, writeTree } from './helpers/cli.js'

// The source's .syncflowignore under `move` (kept, so the next move still has its rules) and under
// `restore` (the backup's copy is a file to restore, not rules that hide files the backup holds).

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

let root: string
let src: string
let dst: string
let env: { SYNCFLOW_STATE_DIR: string }

beforeEach(async () => {
  root = await tempDir()
  src = join(root, 'src')
  dst = join(root, 'dst')
  env = { SYNCFLOW_STATE_DIR: join(root, 'state') }
})

describe('move and the source rules', () => {
  it("keeps the source's .syncflowignore, so that a second move still leaves out what it excludes", async () => {
    // `move` copied the rules file and removed it from the source like any file: the next move of
    // the same source (a cron job emptying an inbox) had no rules and moved what they excluded.
    await writeTree(src, { '.syncflowignore': '*.part\n', 'a.txt': 'alpha', 'big.iso.part': 'half a download' })
    const first = await runCli(['move', src, dst], { env })
    expect(first.code).toBe(0)
    const second = await runCli(['move', src, dst], { env })
    expect(second.code).toBe(0)
    const left = await readTree(src)
    expect(left['big.iso.part']).toBe('half a download')
    expect(left['.syncflowignore']).toBe('*.part\n')
    expect((await readTree(dst))['big.iso.part']).toBeUndefined()
    // Copied, not linked: the source's rules and the target's copy are two files.
    const [a, b] = [await stat(join(src, '.syncflowignore')), await stat(join(dst, '.syncflowignore'))]
    expect(a.ino).not.toBe(b.ino)
  })
})

describe('restore and the backup copy of the rules', () => {
  it("-H: the source's kept .syncflowignore is not made one file with the target's names", async () => {
    // Another name of the rules file (`-rules`, which sorts first) was moved by a link: the target's
    // `-rules` was the source's file itself, and -H then linked the target's .syncflowignore to it, so
    // the source's kept rules and the target's copy were one file (an edit of one was the other's).
    // (The target's `-rules` is the source's file, as `mv` of one of two names leaves it.)
    await writeTree(src, { '.syncflowignore': '*.part\n', 'a.txt': 'alpha' })
    await link(join(src, '.syncflowignore'), join(src, '-rules'))
    const r = await runCli(['move', '-H', src, dst], { env })
    expect(r.code, r.stderr).toBe(0)
    const kept = await stat(join(src, '.syncflowignore'))
    expect(kept.ino).not.toBe((await stat(join(dst, '.syncflowignore'))).ino)
    expect((await readTree(dst))['.syncflowignore']).toBe('*.part\n')
  })

  it("restores every file the backup holds: the backup's copy of .syncflowignore does not hide some", async () => {
    // A backup made before `logs/` was added to the rules keeps logs/app.log (a copy never
    // deletes); the tree is then lost. `restore SRC DST` read the rules from its source, the backup's
    // copy of .syncflowignore, and left logs/app.log in the backup without a word, exit 0.
    const backup = join(root, 'backup')
    await writeTree(backup, { '.syncflowignore': 'logs/\n', 'a.txt': 'alpha', 'logs/app.log': 'needed after all' })
    const r = await runCli(['restore', src, backup], { env })
    expect(r.code).toBe(0)
    expect(await readTree(src)).toEqual({
      '.syncflowignore': 'logs/\n',
      'a.txt': 'alpha',
      'logs/app.log': 'needed after all',
    })
  })
})
