import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { pathToFileURL } from 'node:url'
import { createMemBackend, guardPlugin, SIZE_MISMATCH_HINT, SyncError, supports } from '@syncflow/core'
import { firstValueFrom, throwError } from 'rxjs'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  exitedWithin,
  expectUsageError,
  jsonLines,
  killedAfterEach,
  REPO,
  readTree,
  runCli,
  startCli,
  tempDir,
  writeTree,
} from './helpers/cli.js'

// --plugin NAME_OR_PATH (design §8): a third-party backend used from the built binary. The plugin is
// examples/json-backend.mjs (a json:// tree in one JSON file), re-exported by small modules the
// tests write, as a user's own plugin file or an installed package would.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

const JSON_BACKEND = pathToFileURL(join(REPO, 'examples/json-backend.mjs')).href

let root: string
let src: string
let snapshot: string
/** Runs in `root` (so ./paths are relative to it) with a private state directory. */
const cli = (...args: string[]) => runCli(args, { cwd: root, env: { SYNCFLOW_STATE_DIR: join(root, 'state') } })

beforeEach(async () => {
  root = await tempDir('syncflow-plugin-')
  src = join(root, 'src')
  snapshot = `json://${join(root, 'snap.json')}`
  await writeTree(src, { 'a.txt': 'alpha\n', 'dir/b.txt': 'bravo\n' })
  // A user's plugin file: its default export is the plugin object.
  await writeFile(join(root, 'json-plugin.mjs'), `export { jsonBackend as default } from '${JSON_BACKEND}'\n`)
})

describe('--plugin PATH', () => {
  it('sync into a plugin scheme, then ls, check and sync back out of it', async () => {
    const into = await cli('sync', src, snapshot, '--plugin', './json-plugin.mjs')
    expect(into.code, into.stderr).toBe(0)
    const stored = JSON.parse(await readFile(join(root, 'snap.json'), 'utf8')) as { files: Record<string, unknown> }
    expect(Object.keys(stored.files).sort()).toEqual(['a.txt', 'dir/b.txt'])

    const ls = await cli('ls', snapshot, '--plugin', './json-plugin.mjs', '--json')
    expect(ls.code, ls.stderr).toBe(0)
    expect(jsonLines(ls.stdout).map((e) => (e as unknown as { path: string }).path)).toEqual(['a.txt', 'dir/b.txt'])

    const check = await cli('check', src, snapshot, '--plugin', './json-plugin.mjs')
    expect(check.code, check.stderr).toBe(0)

    const out = await cli('copy', snapshot, join(root, 'restored'), '--plugin', join(root, 'json-plugin.mjs'))
    expect(out.code, out.stderr).toBe(0)
    expect(await readTree(join(root, 'restored'))).toEqual(await readTree(src))
  })

  // QA 19 #1: two spellings of one plugin location (absolute, and relative to the working directory)
  // were two locations to the overlap check, and a mirror deleted the source's own files.
  it('one location spelled two ways is refused as the same location, by the URIs the plugin opened', async () => {
    expect((await cli('sync', src, snapshot, '--plugin', './json-plugin.mjs')).code).toBe(0)
    const before = await readFile(join(root, 'snap.json'), 'utf8')
    const r = await cli(
      'sync',
      snapshot,
      'json://snap.json',
      '--plugin',
      './json-plugin.mjs',
      '--exclude',
      'a.txt',
      '--delete-excluded',
    )
    expectUsageError(r, 'are the same location', 'Choose a target outside the source')
    expect(await readFile(join(root, 'snap.json'), 'utf8')).toBe(before)
  })

  it('without the plugin, the scheme is unknown and the message says how to add one', async () => {
    expectUsageError(await cli('ls', snapshot), 'no backend for "json://"', '--plugin')
  })

  it('"plugins" in a --config file, a path relative to that file', async () => {
    const conf = join(root, 'conf')
    await mkdir(conf)
    await writeFile(join(conf, 'mine.mjs'), `export { jsonBackend } from '${JSON_BACKEND}'\n`)
    await writeFile(join(conf, 'job.json'), JSON.stringify({ plugins: ['./mine.mjs'] }))
    const r = await cli('sync', src, snapshot, '--config', join(conf, 'job.json'))
    expect(r.code, r.stderr).toBe(0)
    expect((await cli('ls', snapshot, '--config', join(conf, 'job.json'))).stdout).toContain('dir/b.txt')
  })
})

// QA 10 #9: a tree synced into a target without symlinks (S3) lost every link with only "N skipped".
describe('a target that cannot store symlinks (json://)', () => {
  it('says once how many links were left out and what to do; -v lists them; --json has the notice', async () => {
    await symlink('a.txt', join(src, 'l1'))
    await symlink('dir', join(src, 'ldir'))
    const r = await cli('sync', src, snapshot, '--plugin', './json-plugin.mjs')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain(`note: 2 symlinks not copied: ${snapshot} cannot store symlinks\n`)
    expect(r.stderr).toContain('--symlinks follow copies what they point to (from a local source')
    expect(r.stderr).toContain('--symlinks skip leaves them out without a word')
    expect(r.stderr.match(/note: /g)).toHaveLength(1)
    expect(r.stderr).not.toContain('skipped  l1')
    expect(r.stderr).toContain('2 skipped')

    const verbose = await cli('copy', src, snapshot, '--plugin', './json-plugin.mjs', '-v')
    expect(verbose.stderr).toContain('skipped  l1: target cannot store symlinks')
    expect(verbose.stderr).toContain('skipped  ldir: target cannot store symlinks')

    const json = await cli('copy', src, snapshot, '--plugin', './json-plugin.mjs', '--json')
    expect(jsonLines(json.stdout).filter((e) => e.type === 'notice')).toEqual([
      expect.objectContaining({
        code: 'SYMLINKS_UNSUPPORTED',
        message: `2 symlinks not copied: ${snapshot} cannot store symlinks`,
      }),
    ])

    const skip = await cli('sync', src, snapshot, '--plugin', './json-plugin.mjs', '--symlinks', 'skip')
    expect(skip.code, skip.stderr).toBe(0)
    expect(skip.stderr).not.toContain('note:')
    expect(skip.stderr).not.toContain('skipped')

    const follow = await cli('sync', src, snapshot, '--plugin', './json-plugin.mjs', '--symlinks', 'follow')
    expect(follow.code, follow.stderr).toBe(0)
    expect(follow.stderr).not.toContain('note:')
    const stored = JSON.parse(await readFile(join(root, 'snap.json'), 'utf8')) as { files: Record<string, unknown> }
    expect(Object.keys(stored.files).sort()).toEqual(['a.txt', 'dir/b.txt', 'l1', 'ldir/b.txt'])
  })
})

describe('--plugin NAME', () => {
  it("resolves a package from the current directory's node_modules (an ESM-only exports map)", async () => {
    const pkg = join(root, 'node_modules', 'syncflow-backend-json')
    await writeTree(pkg, {
      'package.json': JSON.stringify({
        name: 'syncflow-backend-json',
        type: 'module',
        exports: { '.': { import: './index.mjs' } },
      }),
      // Named exports: the plugin, and things that are not plugins.
      'index.mjs': `export { jsonBackend, createJsonBackend, JsonBackend } from '${JSON_BACKEND}'\n`,
    })
    const r = await cli('sync', src, snapshot, '--plugin', 'syncflow-backend-json')
    expect(r.code, r.stderr).toBe(0)
    expect((await cli('ls', snapshot, '--plugin', 'syncflow-backend-json')).stdout).toContain('a.txt')
  })

  it('a package that is installed nowhere is exit 2 saying where it looked and what to do', async () => {
    expectUsageError(
      await cli('ls', snapshot, '--plugin', 'syncflow-backend-nowhere'),
      'plugin syncflow-backend-nowhere: no package of that name',
      join(root, 'node_modules'),
      'npm install syncflow-backend-nowhere',
    )
  })

  it('a bare file name asks "did you mean ./NAME?", not ./NAME.mjs.mjs nor npm install NAME.mjs (QA 4a F10)', async () => {
    const r = await cli('ls', snapshot, '--plugin', 'json-plugin.mjs')
    expectUsageError(r, 'plugin json-plugin.mjs: no package of that name', 'did you mean ./json-plugin.mjs?')
    expect(r.stderr).not.toContain('.mjs.mjs')
    expect(r.stderr).not.toContain('npm install json-plugin.mjs')
    const missing = await cli('ls', snapshot, '--plugin', 'nowhere.mjs')
    expectUsageError(
      missing,
      `no file ${join(root, 'nowhere.mjs')}`,
      '(./nowhere.mjs, relative to the current directory)',
    )
    expect(missing.stderr).not.toContain('.mjs.mjs')
    expect(missing.stderr).not.toContain('npm install')
  })

  it('a package whose package.json names a file that is not there says so (QA 4a F11)', async () => {
    await writeTree(join(root, 'pk'), { 'package.json': JSON.stringify({ name: 'pk', main: './missing.js' }) })
    expectUsageError(
      await cli('ls', snapshot, '--plugin', './pk'),
      `plugin ./pk: its package.json (in ${join(root, 'pk')}) names ./missing.js (its "main"), which does not exist`,
      'npm run build',
    )
    // Installed under node_modules, found by its name: the same, not "no package of that name".
    await writeTree(join(root, 'node_modules', 'syncflow-backend-unbuilt'), {
      'package.json': JSON.stringify({ name: 'syncflow-backend-unbuilt', exports: { '.': './dist/index.js' } }),
    })
    expectUsageError(
      await cli('ls', snapshot, '--plugin', 'syncflow-backend-unbuilt'),
      'names ./dist/index.js (its "exports"), which does not exist',
    )
  })
})

describe('a bad plugin is a usage error naming it (exit 2)', () => {
  const cases: [string, string, string[]][] = [
    ['a missing file', '', ['plugin ./bad.mjs: no such file']],
    ['a module that throws', "throw new Error('boom')\n", ['plugin ./bad.mjs could not be loaded: boom']],
    ['a module exporting no plugin', 'export const answer = 42\n', ['plugin ./bad.mjs exports no backend plugin']],
    [
      'a scheme of a built-in backend',
      "export default { name: 'evil', schemes: ['file'], open: async () => { throw new Error('never') } }\n",
      ['plugin ./bad.mjs ("evil") wants the scheme file://', 'built-in "local" backend'],
    ],
    [
      'a scheme written with ://',
      "export default { name: 'x', schemes: ['x://'], open: async () => { throw new Error('never') } }\n",
      ['"x://", which is not a URI scheme'],
    ],
    // QA 4a F5: the member that is wrong is named, and a malformed object is never skipped.
    [
      'schemes a string, not an array',
      "export default { name: 'bad', schemes: 'bad', open: async () => ({}) }\n",
      ['plugin ./bad.mjs ("bad"): "schemes" must be an array of URI schemes, not the string "bad" (write ["bad"])'],
    ],
    [
      'no open',
      "export default { name: 'noopen', schemes: ['noopen'] }\n",
      ['plugin ./bad.mjs ("noopen"): "open" is missing'],
    ],
    [
      'no name',
      "export default { schemes: ['nn'], open: async () => ({}) }\n",
      ['plugin ./bad.mjs: "name" is missing'],
    ],
    [
      'a factory function as the default export',
      "export default function plugin() { return { name: 'fac', schemes: ['fac'], open: async () => ({}) } }\n",
      ['its default export is a function (plugin), not a plugin object', 'export default plugin()'],
    ],
    [
      'a malformed element of a plugin array',
      "export default [{ name: 'a1', schemes: ['a1'], open: async () => ({}) }, { name: 'a2' }]\n",
      ['plugin ./bad.mjs, element 1 of the default export ("a2"): "schemes" is missing', '"open" is missing'],
    ],
    [
      'a malformed named export beside a good one',
      "export const good = { name: 'g1', schemes: ['g1'], open: async () => ({}) }\nexport const typo = { name: 'g2', schemes: ['g2'], opne() {} }\n",
      ['plugin ./bad.mjs, the export "typo" ("g2"): "open" is missing'],
    ],
  ]
  it.each(cases)('%s', async (_, body, mentions) => {
    if (body !== '') await writeFile(join(root, 'bad.mjs'), body)
    const r = await cli('sync', src, join(root, 'dst'), '--plugin', './bad.mjs', '--json')
    expect(r.code, r.stderr).toBe(2)
    // --json still ends with its done event, the reason in summary.fatal.
    const [done] = jsonLines(r.stdout)
    expect(done).toMatchObject({ type: 'done', summary: { fatal: { code: 'USAGE' } } })
    for (const m of mentions) expect(r.stderr).toContain(m)
    expect(await readTree(join(root, 'dst'))).toEqual({})
    expectUsageError(await cli('ls', src, '--plugin', './bad.mjs'), ...mentions)
  })

  // QA 25: Node ends a process whose top-level await can never settle with exit code 13 and no
  // word; an open() that never settles (nothing else pending) did that to syncflow.
  it('an open() that never settles ends with exit 2 and a message, not a silent exit 13', async () => {
    await writeFile(
      join(root, 'bad.mjs'),
      "export default { name: 'h', schemes: ['h'], open: () => new Promise(() => {}) }\n",
    )
    const r = await cli('ls', 'h://x', '--plugin', './bad.mjs')
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain('syncflow: stopped: the command was waiting for something that can never happen')
  })

  it("a missing file the plugin's own code imports is named, with no npm install (QA F9)", async () => {
    await writeTree(root, {
      'rel.mjs': "import { helper } from './helper.js'\nexport default helper\n",
      'lib/a.mjs': "export * from './b.mjs'\n",
      'lib/b.mjs': "import './gone.mjs'\n",
      'nested.mjs': "export * from './lib/a.mjs'\n",
      'rel.cjs': "module.exports = require('./helper')\n",
      'noext.mjs': "export * from './json-plugin'\n",
    })
    const ls = (plugin: string) => cli('ls', src, '--plugin', plugin)
    const rel = await ls('./rel.mjs')
    expectUsageError(
      rel,
      `plugin ./rel.mjs could not be loaded: its file ${join(root, 'rel.mjs')} imports ${join(root, 'helper.js')}, which does not exist`,
      `Add ${join(root, 'helper.js')}, or fix the import in ${join(root, 'rel.mjs')}`,
    )
    // One file of the plugin importing another: the importing file is the one named.
    const nested = await ls('./nested.mjs')
    expectUsageError(
      nested,
      `its file ${join(root, 'lib/b.mjs')} imports ${join(root, 'lib/gone.mjs')}, which does not exist`,
    )
    const cjs = await ls('./rel.cjs')
    expectUsageError(cjs, `its file ${join(root, 'rel.cjs')} imports ${join(root, 'helper')}, which does not exist`)
    const noext = await ls('./noext.mjs')
    expectUsageError(
      noext,
      `imports ${join(root, 'json-plugin')}, which does not exist`,
      `There is ${join(root, 'json-plugin.mjs')}: import it with its extension.`,
    )
    for (const r of [rel, nested, cjs, noext]) expect(r.stderr).not.toContain('npm install')

    // A bare name is a package: npm install is the answer, with the package's name (not its subpath).
    await writeFile(join(root, 'bare.mjs'), "import 'syncflow-helper-nowhere/sub/x.js'\nexport default {}\n")
    expectUsageError(await ls('./bare.mjs'), 'npm install syncflow-helper-nowhere.')
    // A file missing inside an installed package is that package's, not the plugin's own.
    await writeTree(join(root, 'node_modules', 'half-built'), {
      'package.json': JSON.stringify({ name: 'half-built', type: 'module', exports: { './*': './*' } }),
    })
    await writeFile(join(root, 'half.mjs'), "import 'half-built/dist/x.js'\nexport default {}\n")
    expectUsageError(
      await ls('./half.mjs'),
      `the installed package half-built has no file ${join(root, 'node_modules/half-built/dist/x.js')} (imported from ${join(root, 'half.mjs')})`,
      'npm install half-built,',
    )
  })

  it('two plugins claiming one scheme', async () => {
    await writeFile(
      join(root, 'other.mjs'),
      "export default { name: 'other', schemes: ['json'], open: async () => {} }\n",
    )
    expectUsageError(
      await cli('ls', snapshot, '--plugin', './json-plugin.mjs', '--plugin', './other.mjs'),
      'plugin ./other.mjs ("other") wants the scheme json://',
      'the plugin "json" (--plugin ./json-plugin.mjs) claims it too',
    )
  })
})

/** A plugin over examples/json-backend.mjs (scheme pe://) whose backend fails where PE_WHERE says. */
const PE_PLUGIN = `import { Readable } from 'node:stream'
import { jsonBackend } from '${JSON_BACKEND}'
export default {
name: 'pe',
schemes: ['pe'],
async open(uri, options) {
  const b = await jsonBackend.open(uri.replace(/^pe:/, 'json:'), options)
  const read = b.read.bind(b)
  if (process.env.PE_WHERE === 'list') b.list = async function* () { throw new Error('socket hang up') }
  if (process.env.PE_WHERE === 'read') b.read = async (path, range) => {
    if (path === 'a.txt') throw new Error('socket hang up')
    return read(path, range)
  }
  // The stream read() resolves to sends 3 bytes, then fails with a plain Error.
  if (process.env.PE_WHERE === 'stream') b.read = async (path, range) => {
    const body = await read(path, range)
    if (path !== 'a.txt') return body
    body.destroy()
    return Readable.from((async function* () {
      yield Buffer.from('alp')
      throw new Error('connection reset by peer')
    })())
  }
  // read() of a.txt ends normally after 2 of its 6 bytes (QA 7 #6).
  if (process.env.PE_WHERE === 'short') b.read = async (path, range) => {
    const body = await read(path, range)
    if (path !== 'a.txt') return body
    body.destroy()
    return Readable.from([Buffer.from('al')])
  }
  // Every read ends after 1 byte: each file fails as one that changed since it was listed.
  if (process.env.PE_WHERE === 'short-all') b.read = async (path, range) => {
    const body = await read(path, range)
    body.destroy()
    return Readable.from([Buffer.from('a')])
  }
  // read() of a.txt never settles, and ignores any signal: a server that never answers (its socket
  // keeps the process alive).
  if (process.env.PE_WHERE === 'hang') b.read = (path, range, opts) => {
    if (path !== 'a.txt') return read(path, range, opts)
    process.stderr.write('pe: reading a.txt\\n')
    return new Promise(() => void setInterval(() => {}, 60_000))
  }
  return b
},
}
`

describe('errors from plugin code name the plugin, not a syncflow bug (QA 4a F4)', () => {
  const pe = (where: string, ...args: string[]) =>
    runCli([...args, '--plugin', './pe.mjs'], {
      cwd: root,
      env: { SYNCFLOW_STATE_DIR: join(root, 'state'), PE_WHERE: where },
    })

  const openCases: [string, string, string, string[]][] = [
    [
      'open() throws a plain Error',
      'bad.mjs',
      "export default { name: 'ot', schemes: ['ot'], async open() { throw new Error('cannot connect to ot service') } }\n",
      ['plugin ./bad.mjs ("ot"): open() failed: cannot connect to ot service', 'not a SyncError', 'Writing a backend'],
    ],
    [
      'a CommonJS plugin whose open() throws',
      'bad.cjs',
      "module.exports = { name: 'ot', schemes: ['ot'], async open() { throw new Error('cj open') } }\n",
      ['plugin ./bad.cjs ("ot"): open() failed: cj open'],
    ],
    [
      'open() resolves to something that is not a Backend',
      'bad.mjs',
      "export default { name: 'ot', schemes: ['ot'], async open() { return { uri: 'ot://x', close: async () => {} } } }\n",
      [
        'plugin ./bad.mjs ("ot"): open() returned an object without capabilities, list(), stat(), read(), write(), remove(), rootExists(), not a Backend',
      ],
    ],
  ]
  it.each(openCases)('%s: exit 2, one message naming the plugin', async (_, file, body, mentions) => {
    await writeFile(join(root, file), body)
    const r = await cli('ls', 'ot://x', '--plugin', `./${file}`)
    expectUsageError(r, ...mentions)
    expect(r.stderr).not.toContain('bug in syncflow')
    expect(r.stderr).not.toContain('is not a function')
  })

  it("a backend method's plain Error is the plugin's UNKNOWN failure, op <scheme>.<method>", async () => {
    await writeFile(join(root, 'pe.mjs'), PE_PLUGIN)
    expect((await cli('sync', src, snapshot, '--plugin', './json-plugin.mjs')).code).toBe(0)
    const peSnap = snapshot.replace(/^json:/, 'pe:')

    const list = await pe('list', 'sync', peSnap, join(root, 'dst'))
    expect(list.code, list.stderr).not.toBe(0)
    expect(list.stderr).toContain('UNKNOWN: pe.list: plugin ./pe.mjs ("pe"): socket hang up')
    expect(list.stderr).toContain('comes from the plugin ./pe.mjs ("pe"), not from syncflow')
    expect(list.stderr).not.toContain('bug in syncflow')

    // One file's read fails: that file's failure blames the plugin; the other is copied.
    const read = await pe('read', 'copy', peSnap, join(root, 'dst2'), '--json')
    expect(read.code, read.stderr).toBe(1)
    const failed = jsonLines(read.stdout).find((e) => e.type === 'failed') as unknown as {
      path: string
      error: { code: string; message: string; hint: string }
    }
    expect(failed).toMatchObject({
      path: 'a.txt',
      error: {
        code: 'UNKNOWN',
        message: 'UNKNOWN: pe.read (a.txt): plugin ./pe.mjs ("pe"): socket hang up',
        hint: expect.stringContaining("report it to the plugin's author"),
      },
    })
    expect(failed.error.hint).not.toContain('bug in syncflow')
    expect(await readTree(join(root, 'dst2'))).toEqual({ 'dir/b.txt': 'bravo\n' })
  })

  it("a plain Error from the read stream mid-file is the source plugin's read failure, not the target's (QA F6)", async () => {
    await writeFile(join(root, 'pe.mjs'), PE_PLUGIN)
    expect((await cli('sync', src, snapshot, '--plugin', './json-plugin.mjs')).code).toBe(0)
    const peSnap = snapshot.replace(/^json:/, 'pe:')
    const message =
      'UNKNOWN: pe.read (a.txt): plugin ./pe.mjs ("pe"): its read() stream failed after 3 bytes: connection reset by peer'

    const json = await pe('stream', 'copy', peSnap, join(root, 'dst'), '--json')
    expect(json.code, json.stderr).toBe(1)
    const failed = jsonLines(json.stdout).filter((e) => e.type === 'failed')
    expect(failed).toEqual([
      expect.objectContaining({
        path: 'a.txt',
        error: expect.objectContaining({
          code: 'UNKNOWN',
          message,
          hint: expect.stringContaining('comes from the plugin ./pe.mjs ("pe"), not from syncflow'),
        }),
      }),
    ])
    expect(JSON.stringify(failed)).not.toContain('local.write')
    expect(JSON.stringify(failed)).not.toContain('bug in syncflow')
    // The short file is never committed.
    expect(await readTree(join(root, 'dst'))).toEqual({ 'dir/b.txt': 'bravo\n' })

    const human = await pe('stream', 'copy', peSnap, join(root, 'dst2'), '-v')
    expect(human.code, human.stderr).toBe(1)
    expect(human.stdout + human.stderr).toContain(`failed   a.txt: ${message}`)
    expect(human.stdout + human.stderr).toContain("report it to the plugin's author")
    expect(human.stdout + human.stderr).not.toContain('bug in syncflow')
  })
})

describe("a plugin's missing location (QA 4a F12)", () => {
  it('is opened once, as given: no "parent" the user never typed', async () => {
    const log = join(root, 'opens.log')
    await writeFile(
      join(root, 'logged.mjs'),
      `import { appendFileSync } from 'node:fs'
import { jsonBackend } from '${JSON_BACKEND}'
export default {
  name: 'logged',
  schemes: ['logged'],
  async open(uri, options) {
    appendFileSync(${JSON.stringify(log)}, uri + '\\n')
    return jsonBackend.open(uri.replace(/^logged:/, 'json:'), options)
  },
}
`,
    )
    const missing = `logged://${join(root, 'nothere', 'tree.json')}`
    const ls = await cli('ls', missing, '--plugin', './logged.mjs')
    expect(ls.code, ls.stderr).toBe(2)
    expect(ls.stderr).toContain('does not exist')
    const sync = await cli('sync', missing, join(root, 'dst'), '--plugin', './logged.mjs')
    expect(sync.code, sync.stderr).toBe(2)
    expect(sync.stderr).toContain('does not exist')
    expect((await readFile(log, 'utf8')).split('\n').filter(Boolean)).toEqual([missing, missing])
  })
})

describe("a plugin's read() that ends short of the listed size (QA 7 #6)", () => {
  it('fails the file, blaming the source; the good copy and the extra file stay; exit 1', async () => {
    await writeFile(join(root, 'pe.mjs'), PE_PLUGIN)
    expect((await cli('sync', src, snapshot, '--plugin', './json-plugin.mjs')).code).toBe(0)
    const dst = join(root, 'dst')
    await writeTree(dst, { 'a.txt': 'good copy\n', 'extra.txt': 'not in the source\n' })
    const r = await runCli(['sync', snapshot.replace(/^json:/, 'pe:'), dst, '--plugin', './pe.mjs'], {
      cwd: root,
      env: { SYNCFLOW_STATE_DIR: join(root, 'state'), PE_WHERE: 'short' },
    })
    expect(r.code, r.stderr).toBe(1)
    expect(r.stdout + r.stderr).toContain(
      // The op is the backend's own scheme (this plugin opens a json:// backend under pe://).
      "failed   a.txt: CONFLICT: json.read (a.txt): the source's read gave 2 bytes where its listing gave 6",
    )
    expect(r.stdout + r.stderr).toMatch(/delete\(s\) not run/)
    expect(await readTree(dst)).toEqual({
      'a.txt': 'good copy\n',
      'dir/b.txt': 'bravo\n',
      'extra.txt': 'not in the source\n',
    })
  })
})

// A plugin's read() that never settled kept the run waiting after the first Ctrl-C ("stopping…"),
// for ever: ReadOptions had no signal, and the engine waited on the read whatever it did with one.
describe("a plugin's read() that never settles", () => {
  it('the first SIGINT stops the run: exit 130, the summary said, nothing half-written', async () => {
    await writeFile(join(root, 'pe.mjs'), PE_PLUGIN)
    expect((await cli('sync', src, snapshot, '--plugin', './json-plugin.mjs')).code).toBe(0)
    const dst = join(root, 'dst')
    const r = startCli(['sync', snapshot.replace(/^json:/, 'pe:'), dst, '--plugin', './pe.mjs', '--concurrency', '1'], {
      cwd: root,
      env: { SYNCFLOW_STATE_DIR: join(root, 'state'), PE_WHERE: 'hang' },
    })
    running.push(r)
    await expect.poll(() => r.stderr(), { timeout: 20_000 }).toContain('pe: reading a.txt')
    r.child.kill('SIGINT')
    // (Within the 3 s the binary gives what is left pending once the command has ended, and more.)
    const exited = await exitedWithin(r, 10_000)
    expect(exited?.code, r.stderr()).toBe(130)
    expect(r.stderr()).toMatch(/interrupted/i)
    expect(await readTree(dst).catch(() => ({}))).not.toHaveProperty('a.txt')
  })
})

// The engine raced its source reads against the run's signal, but not the target's reads made to
// keep the old file for --backup-dir: a plugin target whose read() never settles kept a stopped run
// waiting there for ever after the first Ctrl-C (fx26-a, QA 26h follow-up).
describe("a plugin target's read() that never settles, for --backup-dir", () => {
  it('the first SIGINT stops the run: exit 130, the target untouched', async () => {
    await writeFile(join(root, 'pe.mjs'), PE_PLUGIN)
    expect((await cli('sync', src, snapshot, '--plugin', './json-plugin.mjs')).code).toBe(0)
    const changed = join(root, 'changed')
    await writeTree(changed, { 'a.txt': 'alpha, longer now\n', 'dir/b.txt': 'bravo\n' })
    const r = startCli(
      ['sync', changed, snapshot.replace(/^json:/, 'pe:'), '--plugin', './pe.mjs', '--backup-dir', join(root, 'old')],
      { cwd: root, env: { SYNCFLOW_STATE_DIR: join(root, 'state'), PE_WHERE: 'hang' } },
    )
    running.push(r)
    await expect.poll(() => r.stderr(), { timeout: 20_000 }).toContain('pe: reading a.txt')
    r.child.kill('SIGINT')
    const exited = await exitedWithin(r, 10_000)
    expect(exited?.code, r.stderr()).toBe(130)
    expect(r.stderr()).toMatch(/interrupted/i)
    const stored = JSON.parse(await readFile(join(root, 'snap.json'), 'utf8')) as { files: Record<string, unknown> }
    expect(JSON.stringify(stored.files['a.txt'])).not.toContain(Buffer.from('alpha, longer').toString('base64'))
  })
})

// QA 11 #7: the hint telling of --no-check-updated came only with -v, so a cron job's log never told of it.
describe('files that changed since they were listed', () => {
  it('get the hint about --no-check-updated at default verbosity, once for all of them', async () => {
    await writeFile(join(root, 'pe.mjs'), PE_PLUGIN)
    expect((await cli('sync', src, snapshot, '--plugin', './json-plugin.mjs')).code).toBe(0)
    const r = await runCli(['sync', snapshot.replace(/^json:/, 'pe:'), join(root, 'dst'), '--plugin', './pe.mjs'], {
      cwd: root,
      env: { SYNCFLOW_STATE_DIR: join(root, 'state'), PE_WHERE: 'short-all' },
    })
    expect(r.code, r.stderr).toBe(1)
    const lines = r.stderr.split('\n')
    const failures = lines.filter((l) => l.startsWith('failed   '))
    expect(failures).toHaveLength(2)
    for (const f of failures) expect(f).toContain('CONFLICT: json.read')
    const hints = lines.filter((l) => l.includes('--no-check-updated'))
    expect(hints).toEqual([`  ${SIZE_MISMATCH_HINT}`])
    // Right under the first failure line.
    expect(lines[lines.indexOf(failures[0] as string) + 1]).toBe(`  ${SIZE_MISMATCH_HINT}`)
  })
})

describe('guardPlugin: a plugin backend as the CLI hands it to the engine', () => {
  /** A backend class with private state, some optional methods, and failures to order. */
  class Flaky {
    readonly #inner = createMemBackend({ name: 'guard-test' })
    readonly uri = 'fl://x'
    readonly capabilities = { ...this.#inner.capabilities, watch: 'poll' as const }
    list = () => this.#inner.list()
    stat = (p: never) => this.#inner.stat(p)
    read = (p: never) => this.#inner.read(p)
    write = (...a: never[]) => (this.#inner.write as (...x: never[]) => unknown)(...a)
    remove = async () => {
      throw new SyncError('CONFLICT', 'changed meanwhile', { op: 'fl.remove' })
    }
    close = () => this.#inner.close()
    async rootExists() {
      return this.#inner.rootExists()
    }
    async hash() {
      throw new TypeError('x is undefined')
    }
    async setMtime() {
      const err = new Error('aborted')
      err.name = 'AbortError'
      throw err
    }
    async copyFrom(source: unknown) {
      // Private state of the plugin's own object: a wrapped source would throw a TypeError here.
      return source instanceof Flaky ? source.#inner.stat('a' as never) : undefined
    }
    watch() {
      return throwError(() => new Error('inotify gone'))
    }
  }
  const plugin = guardPlugin({ name: 'fl', schemes: ['fl'], open: async () => new Flaky() as never }, './fl.mjs')

  it('keeps what the plugin made: its members, optional methods, SyncErrors and aborts', async () => {
    const b = await plugin.open('fl://x', {})
    expect(b.uri).toBe('fl://x')
    expect(await b.rootExists()).toBe(true) // a prototype method using the private #inner
    expect(supports.move(b)).toBe(false)
    expect(supports.hash(b)).toBe(true)
    await expect(b.remove('a' as never)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'CONFLICT: fl.remove: changed meanwhile',
    })
    await expect((b as unknown as { setMtime(): Promise<void> }).setMtime()).rejects.toMatchObject({
      name: 'AbortError',
    })
    // copyFrom is given the plugin's own object for a source it opened.
    const other = await plugin.open('fl://y', {})
    await expect((b as unknown as { copyFrom(s: unknown): Promise<unknown> }).copyFrom(other)).resolves.toBeUndefined()
  })

  it("makes a method's plain Error, and a watch stream's, UNKNOWN naming the plugin", async () => {
    const b = await plugin.open('fl://x', {})
    await expect((b as unknown as { hash(p: string): Promise<string> }).hash('d/f.txt')).rejects.toMatchObject({
      code: 'UNKNOWN',
      op: 'fl.hash',
      path: 'd/f.txt',
      message: 'UNKNOWN: fl.hash (d/f.txt): plugin ./fl.mjs ("fl"): x is undefined',
      hint: expect.stringContaining('This plain TypeError comes from the plugin ./fl.mjs ("fl"), not from syncflow'),
    })
    if (!supports.watch(b)) throw new Error('watch expected')
    await expect(firstValueFrom(b.watch())).rejects.toMatchObject({ code: 'UNKNOWN', op: 'fl.watch' })
  })

  it("fails a read stream that ends without its end as the plugin's, and destroys it when ours is", async () => {
    let theirs: Readable | undefined
    const early = guardPlugin(
      {
        name: 'rs',
        schemes: ['rs'],
        open: async () =>
          Object.assign(new Flaky(), {
            read: async () => {
              theirs = new Readable({ read() {} })
              theirs.push('abcd')
              return theirs
            },
          }) as never,
      },
      './rs.mjs',
    )
    const b = await early.open('rs://x', {})
    const body = await b.read('f' as never)
    let seen = ''
    body.on('data', (c: Buffer) => {
      seen += c
    })
    const failed = finished(body)
    await vi.waitFor(() => expect(seen).toBe('abcd'))
    theirs?.destroy() // no error, no end: a short file unless it is a failure
    await expect(failed).rejects.toMatchObject({
      code: 'UNKNOWN',
      op: 'rs.read',
      message: 'UNKNOWN: rs.read (f): plugin ./rs.mjs ("rs"): its read() stream failed after 4 bytes: Premature close',
    })
    const again = await b.read('f' as never)
    again.destroy()
    await vi.waitFor(() => expect(theirs?.destroyed).toBe(true))
  })

  /** `b`'s read of `f` through the guard, as a plugin whose read() resolves to `make()`. */
  const guardedRead = async (make: () => Readable): Promise<Readable> => {
    const g = guardPlugin(
      {
        name: 'rs',
        schemes: ['rs'],
        open: async () => Object.assign(new Flaky(), { read: async () => make() }) as never,
      },
      './rs.mjs',
    )
    return (await g.open('rs://x', {})).read('f' as never)
  }
  const drain = async (body: Readable): Promise<string> => {
    let seen = ''
    for await (const c of body) seen += String(c)
    return seen
  }

  it("fails a read stream that emits 'error' without an error, rather than waiting for ever (QA 7 #5)", async () => {
    const body = await guardedRead(() => {
      const theirs = new Readable({ read() {} })
      theirs.push('abc')
      setImmediate(() => theirs.emit('error', null))
      return theirs
    })
    await expect(drain(body)).rejects.toMatchObject({
      code: 'UNKNOWN',
      message:
        'UNKNOWN: rs.read (f): plugin ./rs.mjs ("rs"): its read() stream failed after 3 bytes: it emitted \'error\' with no error',
    })
  })

  it.each([
    ['a number', () => Readable.from([Buffer.from('ab'), 123]), 'after 2 bytes: it gave a number (123) where bytes go'],
    ['undefined', () => Readable.from([undefined]), 'after 0 bytes: it gave undefined where bytes go'],
    ['an object', () => Readable.from([{ a: 1 }]), 'after 0 bytes: it gave an object ({ a: 1 }) where bytes go'],
  ])('fails a read stream that gives %s for bytes, never an uncaught exception (QA 7 #7)', async (_, make, says) => {
    await expect(drain(await guardedRead(make))).rejects.toMatchObject({
      code: 'UNKNOWN',
      message: expect.stringContaining(says),
    })
  })

  it.each([
    ['null', null, 'its read() resolved to null, not a Readable stream'],
    ['a Buffer', Buffer.from('x'), 'its read() resolved to an object (<Buffer 78>), not a Readable stream'],
    ['a string', 'text', "its read() resolved to a string ('text'), not a Readable stream"],
  ])("a read() that resolves to %s is the plugin's failure, not a syncflow bug (QA 8 #7)", async (_, value, says) => {
    const g = guardPlugin(
      {
        name: 'rs',
        schemes: ['rs'],
        open: async () => Object.assign(new Flaky(), { read: async () => value }) as never,
      },
      './rs.mjs',
    )
    await expect((await g.open('rs://x', {})).read('f' as never)).rejects.toMatchObject({
      code: 'UNKNOWN',
      message: `UNKNOWN: rs.read (f): plugin ./rs.mjs ("rs"): ${says}`,
    })
  })

  it('takes strings and Uint8Arrays from a read stream as the bytes they are', async () => {
    const body = await guardedRead(() => Readable.from(['caf\u00e9 ', new Uint8Array([0x6f, 0x6b])]))
    expect(await drain(body)).toBe('caf\u00e9 ok')
  })

  it('shows a thrown plain object as util.inspect does, not [object Object] (QA 7 #8)', async () => {
    const g = guardPlugin(
      {
        name: 'ob',
        schemes: ['ob'],
        open: async () =>
          Object.assign(new Flaky(), {
            stat: async () => {
              throw { code: 42, why: 'object thrown' }
            },
          }) as never,
      },
      './ob.mjs',
    )
    await expect((await g.open('ob://x', {})).stat('f' as never)).rejects.toMatchObject({
      message: 'UNKNOWN: ob.stat (f): plugin ./ob.mjs ("ob"): { code: 42, why: \'object thrown\' }',
    })
  })

  it('wraps a frozen backend too (its methods are fixed own properties), and instanceof still holds', async () => {
    const frozen = guardPlugin(
      { name: 'fz', schemes: ['fz'], open: async () => Object.freeze(new Flaky()) as never },
      './fz.mjs',
    )
    const b = await frozen.open('fz://x', {})
    expect(b.uri).toBe('fl://x')
    expect(b).toBeInstanceOf(Flaky)
    expect(await b.rootExists()).toBe(true)
    expect(await b.stat('nothing' as never)).toBeUndefined() // an own (frozen) property
    await expect((b as unknown as { hash(p: string): Promise<string> }).hash('f')).rejects.toMatchObject({
      code: 'UNKNOWN',
      op: 'fz.hash',
    })
  })
})
