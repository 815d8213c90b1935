import { execFileSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { tempDir } from './helpers.js'

const WATCH = fileURLToPath(new URL('../src/local-watch.ts', import.meta.url))

// QA 26: with no inotify instance to be had (fs.inotify.max_user_instances used up: EMFILE from
// inotify_init), the watch failed as TRANSIENT, so the job waited for events that never came:
// no initial sync, no polling, nothing synced. Out of instances is as out of watches (ENOSPC):
// events are unavailable for good, and the job polls. Reproduced here with the process's own
// files used up (inotify_init fails with EMFILE either way).
describe.skipIf(process.platform !== 'linux')('watchLocal without an inotify instance', () => {
  it('fails for good (not TRANSIENT), naming the inotify limit', async () => {
    const dir = await tempDir('no-inotify')
    const root = join(dir, 'root')
    await mkdir(root)
    const module = join(dir, 'local-watch.mjs')
    await build({
      entryPoints: [WATCH],
      bundle: true,
      platform: 'node',
      format: 'esm',
      conditions: ['source'],
      external: ['chokidar'],
      outfile: module,
      logLevel: 'silent',
    })
    const script = `import { openSync, closeSync } from 'node:fs'
import { watchLocal } from ${JSON.stringify(module)}
const held = []
try { for (;;) held.push(openSync('/dev/null', 'r')) } catch (err) { if (err.code !== 'EMFILE') throw err }
const out = await new Promise((resolve) => {
  const sub = watchLocal(${JSON.stringify(root)}, { onReady: () => { sub?.unsubscribe(); resolve('ready') } }).subscribe({
    error: (err) => resolve(JSON.stringify({ code: err.code, message: err.message })),
  })
})
for (const fd of held.splice(0)) closeSync(fd)
console.log(out)`
    await writeFile(join(dir, 'probe.mjs'), script)
    const out = execFileSync('sh', ['-c', 'ulimit -n 64 && exec "$0" "$1"', process.execPath, join(dir, 'probe.mjs')], {
      encoding: 'utf8',
      timeout: 20_000,
    })
    const failed = JSON.parse(out.trim()) as { code: string; message: string }
    expect(failed.code).not.toBe('TRANSIENT')
    expect(failed.code).toBe('NO_SPACE')
    expect(failed.message).toContain('fs.inotify.max_user_instances')
  })
})
