import { existsSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, expectUsageError, readTree, runCli, tempDir, writeTree } from './helpers/cli.js'

// QA 32a: a `~` no shell expanded ('~/bk' quoted, --backup-dir=~/old, a config file's path) named a
// directory `~` in the current directory (or beside the config file), made silently.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

let root: string
let stateDir: string
const cli = (...args: string[]) => runCli(args, { cwd: root, env: { SYNCFLOW_STATE_DIR: stateDir } })

beforeEach(async () => {
  root = await tempDir('syncflow-tilde-')
  stateDir = await tempDir('syncflow-tilde-state-')
  await writeTree(join(root, 'src'), { 'a.txt': 'new' })
  await writeTree(join(root, 'dst'), { 'a.txt': 'old', 'gone.txt': 'g' })
})

describe('a path starting with an unexpanded ~', () => {
  it('as the target is refused, naming the home directory meant, and no ./~ is made', async () => {
    const r = await cli('sync', 'src', '~/bk')
    expectUsageError(r, 'the target "~/bk" starts with ~', `"${join(homedir(), 'bk')}"`, './~/bk')
    expect(existsSync(join(root, '~'))).toBe(false)
  })

  it('as --backup-dir=~/old is refused before anything is written', async () => {
    const r = await cli('sync', 'src', 'dst', '--backup-dir=~/old')
    expectUsageError(r, '--backup-dir "~/old" starts with ~')
    expect(existsSync(join(root, '~'))).toBe(false)
    expect(await readTree(join(root, 'dst'))).toEqual({ 'a.txt': 'old', 'gone.txt': 'g' })
  })

  it('as --state=~/job.sqlite is refused as that, not as a state directory it cannot open', async () => {
    const r = await cli('sync', 'src', 'dst', '--state=~/job.sqlite')
    expectUsageError(r, '--state "~/job.sqlite" starts with ~')
  })

  it('in a config file is refused, naming the file and key, and nothing is made beside it', async () => {
    const cfg = join(root, 'cfg')
    await writeTree(cfg, { 'job.json': JSON.stringify({ 'backup-dir': '~/old' }) })
    const r = await cli('sync', 'src', 'dst', '--config', join(cfg, 'job.json'))
    expectUsageError(r, `config file ${join(cfg, 'job.json')}: "backup-dir" "~/old" starts with ~`, 'no shell reads')
    expect(existsSync(join(cfg, '~'))).toBe(false)
    expect(await readTree(join(root, 'dst'))).toEqual({ 'a.txt': 'old', 'gone.txt': 'g' })
  })

  it('given to ls, that is missing, is said as a ~ not expanded', async () => {
    const r = await cli('ls', '~/nope-qa32a')
    expectUsageError(r, '"~/nope-qa32a" does not exist', `write "${join(homedir(), 'nope-qa32a')}"`)
  })

  it('as ~user/… (a user named after the ~) is refused, naming that home directory, and no ./~user is made', async () => {
    const me = userInfo().username
    const r = await cli('sync', 'src', `~${me}/bk`)
    expectUsageError(r, `the target "~${me}/bk" starts with ~${me}`, `"${join(homedir(), 'bk')}"`, `./~${me}/bk`)
    expect(existsSync(join(root, `~${me}`))).toBe(false)
  })

  it('as ~user/… of no known user is refused as that, before anything is written', async () => {
    const r = await cli('sync', 'src', 'dst', '--backup-dir=~no-such-user-qa33/old')
    expectUsageError(r, '--backup-dir "~no-such-user-qa33/old" starts with ~no-such-user-qa33', 'no user')
    expect(existsSync(join(root, '~no-such-user-qa33'))).toBe(false)
    expect(await readTree(join(root, 'dst'))).toEqual({ 'a.txt': 'old', 'gone.txt': 'g' })
  })

  it('as serve --root is refused as the other commands refuse it, not with ENOENT', async () => {
    const r = await cli('serve', '--root', '~/srv', '--listen', '127.0.0.1:0')
    expectUsageError(r, '--root "~/srv" starts with ~', `"${join(homedir(), 'srv')}"`)
    expect(r.stderr).not.toContain('ENOENT')
  })

  it.each(['--token-file', '--tls-cert', '--tls-key'])(
    "as serve %s is refused as --root is, not with the file open's ENOENT",
    async (flag) => {
      const r = await cli('serve', '--root', 'src', '--listen', '127.0.0.1:0', flag, '~/x.pem')
      expectUsageError(r, `${flag} "~/x.pem" starts with ~`, `"${join(homedir(), 'x.pem')}"`)
      expect(r.stderr).not.toContain('ENOENT')
    },
  )

  it.each([
    ['--token-file', 'grpc'],
    ['--ca-file', 'grpcs'],
  ])('as sync (or ls) %s is refused before the %s:// backend reads it', async (flag, scheme) => {
    const r = await cli('sync', 'src', `${scheme}://127.0.0.1:1/x`, flag, '~/x.pem')
    expectUsageError(r, `${flag} "~/x.pem" starts with ~`, `"${join(homedir(), 'x.pem')}"`)
    expect(r.stderr).not.toContain('ENOENT')
    const listed = await cli('ls', `${scheme}://127.0.0.1:1/x`, flag, '~/x.pem')
    expectUsageError(listed, `${flag} "~/x.pem" starts with ~`)
  })

  it('as a --token-file or --ca-file no location reads is warned about as ignored, as before, not refused', async () => {
    // Two local paths: the flag is said to be ignored, and a refusal right under that failed a run
    // that ran (exit 0) before the ~ check came.
    for (const flag of ['--token-file', '--ca-file']) {
      const r = await cli('sync', 'src', 'dst', flag, '~/x.pem')
      expect(r.stderr).toContain(`warning: ${flag} is read by`)
      expect(r.stderr).not.toContain('starts with ~')
      expect(r.code).toBe(0)
    }
    // The run ran: its mirror deleted what the source lacks (a.txt may be skipped: same size, and
    // the same mtime when both were written in one second).
    expect(await readTree(join(root, 'dst'))).not.toHaveProperty('gone.txt')
  })

  it('given to ls as ~user/…, that is missing, is said as a ~ not expanded', async () => {
    const me = userInfo().username
    const r = await cli('ls', `~${me}/nope-qa33`)
    expectUsageError(r, `"~${me}/nope-qa33" does not exist`, `write "${join(homedir(), 'nope-qa33')}"`)
  })

  it('written ./~ is a directory of that name, as the hint says', async () => {
    const r = await cli('sync', 'src', './~/bk')
    expect(r.code, r.stderr).toBe(0)
    expect(await readTree(join(root, '~', 'bk'))).toEqual({ 'a.txt': 'new' })
  })
})
