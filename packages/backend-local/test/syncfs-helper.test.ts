import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { transform } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { syncfsHelper } from '../src/syncfs-helper.js'
import { tempDir } from './helpers.js'

const HELPER = fileURLToPath(new URL('../src/syncfs-helper.ts', import.meta.url))

describe.skipIf(process.platform !== 'linux')('syncfsHelper (coreutils sync -f through one sh)', () => {
  it('flushes through a directory that exists, again and again, and refuses one that does not', async () => {
    const dir = await tempDir('syncfs')
    const syncfs = syncfsHelper()
    await syncfs(dir)
    await Promise.all([syncfs(dir), syncfs(dir), syncfs(dir)])
    await expect(syncfs(join(dir, 'missing'))).rejects.toThrow(/sync -f .*missing.* failed/)
  })

  it('keeps a few helpers: flushing through many directories ends the idle ones', async () => {
    const syncfs = syncfsHelper()
    const dirs = await Promise.all(Array.from({ length: 10 }, (_, i) => tempDir(`syncfs-many-${i}`)))
    for (const dir of dirs) await syncfs(dir)
    // Helpers told to exit do so once they read the end of their input: wait for that.
    const running = (): number => {
      try {
        return execFileSync('pgrep', ['-f', 'syncflow-syncfs-many-'], { encoding: 'utf8' }).trim().split('\n').length
      } catch {
        return 0 // pgrep exits 1 when nothing matches
      }
    }
    await expect.poll(running, { timeout: 10_000 }).toBeLessThanOrEqual(4)
    expect(running()).toBeGreaterThan(0)
  })

  it('keeps the process alive while a flush is pending, and not once it is answered', async () => {
    const dir = await tempDir('syncfs-exit')
    // The module as JavaScript (it imports only Node's built-ins), run by a separate Node process that
    // must print after its flush (not exit before the answer), then exit on its own: an idle helper
    // must not hold it open (execFileSync then times out and the test fails).
    const { code } = await transform(await readFile(HELPER, 'utf8'), { loader: 'ts', format: 'esm' })
    const module = join(dir, 'syncfs-helper.mjs')
    await writeFile(module, code)
    const script = `import { syncfsHelper } from ${JSON.stringify(module)}
const syncfs = syncfsHelper()
await syncfs(${JSON.stringify(dir)})
console.log('flushed')`
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(out.trim()).toBe('flushed')
  })

  // Found with a `syncflow serve` under `ulimit -n 64` (review 23 F4): spawn out of handles gives a
  // child without pipes and an 'error' event on the next tick; reading its pipe threw first, and the
  // error event, heard by no one, ended the process.
  it('out of file handles, refuses the flush (the caller fsyncs instead), and the process lives on', async () => {
    const dir = await tempDir('syncfs-emfile')
    const { code } = await transform(await readFile(HELPER, 'utf8'), { loader: 'ts', format: 'esm' })
    const module = join(dir, 'syncfs-helper.mjs')
    await writeFile(module, code)
    const script = `import { openSync, closeSync } from 'node:fs'
import { syncfsHelper } from ${JSON.stringify(module)}
const syncfs = syncfsHelper()
const held = []
try { for (;;) held.push(openSync('/dev/null', 'r')) } catch (err) { if (err.code !== 'EMFILE') throw err }
const first = await syncfs(${JSON.stringify(dir)}).then(() => 'flushed', (err) => 'refused: ' + err.message)
for (const fd of held.splice(0)) closeSync(fd)
const again = await syncfs(${JSON.stringify(dir)}).then(() => 'flushed', (err) => 'refused: ' + err.message)
console.log(first + '\\n' + again)`
    const out = execFileSync(
      'sh',
      ['-c', 'ulimit -n 64 && exec "$0" --input-type=module -e "$1"', process.execPath, script],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    )
    const [first, again] = out.trim().split('\n')
    expect(first).toMatch(/^refused: /)
    expect(again).toBe('flushed') // handles free again: a new helper
  })
})
