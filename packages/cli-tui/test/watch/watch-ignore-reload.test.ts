import { existsSync } from 'node:fs'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  jsonLines,
  killedAfterEach,
  readTree,
  startCli,
  tempDir,
  writeTree,
} from '../helpers/cli.js'

// QA 10 #5: `watch` read `.syncflowignore` once, at the start: a directory excluded while it ran was
// copied right after (a secret put in it), and a pattern removed did not bring its files, not even at a rescan.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

/**
 * `syncflow watch --json --rescan 0 SRC DST` (no periodic rescan: a change of the rules file alone
 * must do it), once its initial sync is done.
 */
async function watchedOnce(root: string, src: string, dst: string) {
  const r = startCli(['watch', '--json', '--rescan', '0', src, dst], {
    env: { SYNCFLOW_STATE_DIR: join(root, 'state') },
  })
  running.push(r)
  const events = () => jsonLines(r)
  await expect
    .poll(() => events().filter((e) => e.type === 'done').length, { timeout: 20_000 })
    .toBeGreaterThanOrEqual(1)
  return { r, events }
}

const rulesChanged = (events: ReturnType<typeof jsonLines>): boolean =>
  events.some((e) => e.type === 'notice' && e.code === 'IGNORE_RULES_CHANGED')

it('a .syncflowignore changed while watching applies from then on: newly excluded paths are not copied, newly included ones are', async () => {
  const root = await tempDir('syncflow-watch-ignore-')
  const src = join(root, 'src')
  const dst = join(root, 'dst')
  await mkdir(src)
  await writeTree(src, { 'a.log': 'log', 'b.txt': 'b', '.syncflowignore': '*.log\n' })
  const { r, events } = await watchedOnce(root, src, dst)
  expect(await readTree(dst)).toEqual({ 'b.txt': 'b', '.syncflowignore': '*.log\n' })

  await writeTree(src, { '.syncflowignore': 'secret/\n' })
  await expect.poll(() => rulesChanged(events()), { timeout: 10_000 }).toBe(true)
  await writeTree(src, { 'secret/pw.txt': 'hunter2' })
  await writeTree(src, { 'late.txt': 'after the secret' })
  await expect
    .poll(() => readTree(dst), { timeout: 10_000 })
    .toEqual({ 'a.log': 'log', 'b.txt': 'b', 'late.txt': 'after the secret', '.syncflowignore': 'secret/\n' })
  expect(r.stderr()).toBe('')
})

// QA 28d: a .syncflowignore that is a symlink (read through, as README says) to a file kept
// elsewhere: an edit of that file was heard by no watch, its rules applied at the next rescan.
it('a .syncflowignore symlinked to a file outside the source: an edit of that file applies from then on', async () => {
  const root = await tempDir('syncflow-watch-ignore-')
  const src = join(root, 'src')
  const dst = join(root, 'dst')
  await mkdir(src)
  await mkdir(join(root, 'conf'))
  await writeFile(join(root, 'conf', 'ignore'), '*.log\n')
  await symlink('../conf/ignore', join(src, '.syncflowignore'))
  await writeTree(src, { 'a.log': 'log', 'b.txt': 'b' })
  const { events } = await watchedOnce(root, src, dst)
  expect(existsSync(join(dst, 'b.txt'))).toBe(true)
  expect(existsSync(join(dst, 'a.log'))).toBe(false)

  await writeFile(join(root, 'conf', 'ignore'), 'secret/\n')
  await expect.poll(() => rulesChanged(events()), { timeout: 10_000 }).toBe(true)
  await writeTree(src, { 'secret/pw.txt': 'hunter2' })
  await writeTree(src, { 'late.txt': 'after the secret' })
  await expect.poll(() => existsSync(join(dst, 'late.txt')), { timeout: 10_000 }).toBe(true)
  expect(existsSync(join(dst, 'a.log'))).toBe(true)
  expect(existsSync(join(dst, 'secret'))).toBe(false)
})

// QA 11 #8: `failed   .syncflowignore: .syncflowignore is larger than 1 MiB` had no code and no hint,
// and the cycle's line (`#2: 1 updated, 1.05 MiB`) did not count it.
it('a .syncflowignore over 1 MiB while watching is a USAGE failure with its hint, counted by its cycle; the rules in use stay', async () => {
  const root = await tempDir('syncflow-watch-ignore-')
  const src = join(root, 'src')
  const dst = join(root, 'dst')
  await mkdir(src)
  await writeTree(src, { 'a.log': 'log', 'b.txt': 'b', '.syncflowignore': '*.log\n' })
  const r = startCli(['watch', '--rescan', '0', src, dst], { env: { SYNCFLOW_STATE_DIR: join(root, 'state') } })
  running.push(r)
  await expect.poll(() => r.stderr(), { timeout: 20_000 }).toMatch(/initial sync: /)
  await writeTree(src, { '.syncflowignore': `${'#'.repeat(1024 * 1024)}\n` })
  await expect.poll(() => r.stderr(), { timeout: 10_000 }).toMatch(/ #2: .*\n/)
  const lines = r.stderr().split('\n')
  const failed = lines.findIndex((l) => l.startsWith('failed   '))
  expect(lines[failed]).toBe(
    'failed   .syncflowignore: USAGE: watch (.syncflowignore): .syncflowignore is larger than 1 MiB',
  )
  expect(lines[failed + 1]).toMatch(/^ {2}Shorten \.syncflowignore .*Until then the rules read before stay in use\.$/)
  expect(lines.find((l) => / #2: /.test(l))).toMatch(/ #2: (.*, )?1 failed, /)
  // The rules read before still apply.
  await writeTree(src, { 'c.log': 'log', 'c.txt': 'c' })
  await expect.poll(async () => Object.keys(await readTree(dst)).sort(), { timeout: 10_000 }).toContain('c.txt')
  expect(Object.keys(await readTree(dst))).not.toContain('c.log')
})

it('--json: the cycle of the rules file that failed counts it in its summary', async () => {
  const root = await tempDir('syncflow-watch-ignore-')
  const src = join(root, 'src')
  const dst = join(root, 'dst')
  await mkdir(src)
  await writeTree(src, { 'b.txt': 'b' })
  const r = startCli(['watch', '--json', '--rescan', '0', src, dst], {
    env: { SYNCFLOW_STATE_DIR: join(root, 'state') },
  })
  running.push(r)
  const dones = () => jsonLines(r).filter((e) => e.type === 'done')
  await expect.poll(() => dones().length, { timeout: 20_000 }).toBe(1)
  await writeTree(src, { '.syncflowignore': `${'#'.repeat(1024 * 1024)}\n` })
  await expect.poll(() => dones().length, { timeout: 10_000 }).toBe(2)
  const failed = jsonLines(r).find((e) => e.type === 'failed')
  expect(failed).toMatchObject({ path: '.syncflowignore', error: { code: 'USAGE' } })
  expect(dones()[1]).toMatchObject({ summary: { failed: 1, errorCodes: { USAGE: 1 } } })
})
