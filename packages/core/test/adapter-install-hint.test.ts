import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { adapterInstallHint } from '../src/state/adapter-install-hint.js'

// QA 36: "--state redis://…" without @keyv/redis said `npm install @keyv/redis`; run where the user
// stood (not the project syncflow is installed in), it changed nothing: the same error again.
describe('adapterInstallHint', () => {
  const dirs: string[] = []
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
  })

  async function tree(files: string[]): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'adapter-hint-'))
    dirs.push(dir)
    for (const f of files) {
      await mkdir(join(dir, f, '..'), { recursive: true })
      await writeFile(join(dir, f), '{}')
    }
    return dir
  }

  it('names the project syncflow is installed in (npm, and pnpm whose store is inside it)', async () => {
    const proj = await tree(['package.json'])
    const chunk = join(proj, 'node_modules/syncflow/dist/chunks/state.js')
    expect(adapterInstallHint('@keyv/redis', pathToFileURL(chunk).href)).toBe(
      `cd ${proj} && npm install @keyv/redis (syncflow is installed there: the package is looked up from there, not from the current directory)`,
    )
    const pnpm = join(proj, 'node_modules/.pnpm/@syncflow+core@0.1.0/node_modules/@syncflow/core/dist/state/x.js')
    expect(adapterInstallHint('@keyv/postgres', pathToFileURL(pnpm).href)).toMatch(
      new RegExp(`^cd ${proj} && npm install @keyv/postgres `),
    )
  })

  // Review 36: a project path with a space gave `cd /tmp/my proj && …`, which fails when pasted.
  it('quotes a project path that is not one shell word', async () => {
    const base = await tree([])
    const proj = join(base, "my proj's")
    await mkdir(proj)
    const chunk = join(proj, 'node_modules/syncflow/dist/chunks/state.js')
    expect(adapterInstallHint('@keyv/redis', pathToFileURL(chunk).href)).toMatch(
      new RegExp(`^cd '${base}/my proj'\\\\''s' && npm install @keyv/redis `),
    )
  })

  it('says -g for a global install (<prefix>/lib/node_modules)', async () => {
    const prefix = await tree([])
    const chunk = join(prefix, 'lib/node_modules/syncflow/node_modules/@syncflow/core/dist/state/x.js')
    expect(adapterInstallHint('@keyv/redis', pathToFileURL(chunk).href)).toMatch(
      new RegExp(`^npm install -g @keyv/redis \\(syncflow is installed globally, in ${prefix}:`),
    )
  })

  it('is the plain command in a checkout of the repository', () => {
    expect(adapterInstallHint('@keyv/redis', import.meta.url)).toBe('npm install @keyv/redis')
  })
})
