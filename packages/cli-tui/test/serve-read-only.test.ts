import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
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

// rsync's daemon has `read only = yes`, rclone serve --read-only: a tree served for others to sync
// from, which no client may change.
describe('syncflow serve --read-only', () => {
  it('is synced from, and a sync into it fails with exit 2 naming the flag, writing nothing', async () => {
    const root = await tempDir()
    await writeTree(root, { 'data/a.txt': 'a\n', 'data/sub/b.txt': 'b\n' })
    const { server, port } = await startServe(root, {}, ['--read-only'])
    running.push(server)
    // Its second line may come after the first, which startServe waited for: polled.
    await expect.poll(() => server.stderr()).toMatch(/\(read-only\)\n.*can read the root\n/)
    const dst = await tempDir()
    const from = await runCli(['sync', `grpc://127.0.0.1:${port}/data`, dst, '--no-state', '-q'])
    expect(from.stderr).toBe('')
    expect(from.code).toBe(0)
    expect(await readTree(dst)).toEqual({ 'a.txt': 'a\n', 'sub/b.txt': 'b\n' })

    const src = await tempDir()
    await writeTree(src, { 'new.txt': 'new\n' })
    const into = await runCli(['sync', src, `grpc://127.0.0.1:${port}/data`, '--no-state'])
    expect(into.code).toBe(2)
    expect(into.stderr).toContain('PERMISSION')
    expect(into.stderr).toContain('read-only (syncflow serve --read-only)')
    expect(into.stderr).toContain('restart `syncflow serve` without --read-only')
    expect(await readTree(root)).toEqual({ 'data/a.txt': 'a\n', 'data/sub/b.txt': 'b\n' })
  }, 60_000)

  // QA 30b: as a --backup-dir (written to, never listed) it was not refused up front: each file to
  // keep failed PERMISSION, one line each, exit 1.
  it('as a --backup-dir is refused up front, exit 2, nothing replaced; a dry run is not refused', async () => {
    const root = await tempDir()
    await writeTree(root, { 'bk/.keep': '' })
    const { server, port } = await startServe(root, {}, ['--read-only'])
    running.push(server)
    const [src, dst] = [await tempDir(), await tempDir()]
    await writeTree(dst, { 'a.txt': 'old\n', 'b.txt': 'old\n' })
    await writeTree(src, { 'a.txt': 'new, longer\n', 'b.txt': 'new, longer\n' })
    const backupDir = `grpc://127.0.0.1:${port}/bk`
    const r = await runCli(['sync', src, dst, '--backup-dir', backupDir, '--no-state'])
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain(`--backup-dir "${backupDir}": this server is read-only`)
    expect(r.stderr).not.toContain('failed ')
    expect(await readTree(dst)).toEqual({ 'a.txt': 'old\n', 'b.txt': 'old\n' })
    const dry = await runCli(['sync', src, dst, '--backup-dir', backupDir, '--no-state', '-n'])
    expect(dry.code, dry.stderr).toBe(0)
  }, 60_000)

  it('as the source of a move is refused up front, exit 2, nothing copied; a dry run is not refused', async () => {
    // Each file was downloaded, then its removal refused: exit 1 and one PERMISSION per file, after
    // the whole tree had crossed the wire, where a move into it stops at its listing (exit 2).
    const root = await tempDir()
    await writeTree(root, { 'data/a.txt': 'a\n', 'data/sub/b.txt': 'b\n' })
    const { server, port } = await startServe(root, {}, ['--read-only'])
    running.push(server)
    const url = `grpc://127.0.0.1:${port}/data`
    const dst = await tempDir()
    const dry = await runCli(['move', url, dst, '--no-state', '--dry-run'])
    expect(dry.code).toBe(0)
    for (const args of [
      ['move', url, dst, '--no-state'],
      ['copy', url, dst, '--no-state', '--remove-source-files'],
    ]) {
      const r = await runCli(args)
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('read-only (syncflow serve --read-only)')
      expect(r.stderr).not.toMatch(/^failed /m)
      expect(await readTree(dst)).toEqual({})
    }
    expect(await readTree(root)).toEqual({ 'data/a.txt': 'a\n', 'data/sub/b.txt': 'b\n' })
  }, 60_000)

  it('is in serve --help', async () => {
    const help = await runCli(['serve', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/--read-only\s+clients may list and read/)
  })
})
