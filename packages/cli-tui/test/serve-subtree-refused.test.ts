import { execFileSync } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  jsonLines,
  killedAfterEach,
  readTree,
  runCli,
  startServe,
  tempDir,
  writeTree,
} from './helpers/cli.js'

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

// QA 32b: a `syncflow serve` whose user may not write one subtree (the one that sorts first): the
// rest of the tree is written, the refused files fail one by one (exit 1), nothing is deleted.
// (PERMISSION is a file's own failure, never a refusal that may stop the run: no probe is involved.)
describe('local → grpc:// with one subtree the server may not write', () => {
  it.skipIf(process.getuid?.() !== 0)(
    'writes the rest and fails the refused files alone (exit 1)',
    async () => {
      const root = await tempDir()
      await writeTree(root, { 'zzz-extra.txt': 'keep\n' })
      // The server runs as nobody; aaa-locked/ stays root's (0755): nobody may not write there.
      execFileSync('chown', ['-R', '65534:65534', root])
      await mkdir(join(root, 'aaa-locked/x'), { recursive: true })
      const { server, port } = await startServe(root, { uid: 65534, gid: 65534 })
      running.push(server)
      const src = await tempDir()
      const files: Record<string, string> = { 'top.txt': 'top\n' }
      for (let i = 0; i < 4; i++) {
        files[`aaa-locked/x/f${i}.txt`] = `x${i}\n`
        files[`bbb/g${i}.txt`] = `b${i}\n`
      }
      await writeTree(src, files)
      const r = await runCli(['sync', src, `grpc://127.0.0.1:${port}/`, '--no-state', '--concurrency', '1', '--json'])
      expect(r.code, r.stderr).toBe(1)
      const failed = jsonLines(r.stdout).filter((e) => e.type === 'failed') as unknown as {
        path: string
        error: { code: string; message: string }
      }[]
      // The directories are root's too: their mtimes cannot be set by the server either (5132d82).
      expect(failed.map((e) => e.path).sort()).toEqual([
        'aaa-locked',
        'aaa-locked/x',
        ...[0, 1, 2, 3].map((i) => `aaa-locked/x/f${i}.txt`),
      ])
      expect(failed.every((e) => e.error.code === 'PERMISSION')).toBe(true)
      for (const e of failed.filter((f) => !f.path.endsWith('.txt')))
        expect(e.error.message).toContain("the directory's mtime could not be set")
      const tree = await readTree(root)
      expect(tree).toEqual({
        'bbb/g0.txt': 'b0\n',
        'bbb/g1.txt': 'b1\n',
        'bbb/g2.txt': 'b2\n',
        'bbb/g3.txt': 'b3\n',
        'top.txt': 'top\n',
        'zzz-extra.txt': 'keep\n',
      })
    },
    60_000,
  )
})
