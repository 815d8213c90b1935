import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { staleBundle } from '../src/stale-bundle.js'

// The bundle's inputs are relative to the module's own location (src/ here, dist/ in the bundle).
const HERE = fileURLToPath(new URL('../src/', import.meta.url))
let dir: string | undefined

afterEach(async () => {
  vi.unstubAllGlobals()
  if (dir) await rm(dir, { recursive: true, force: true })
  dir = undefined
})

async function buildInfo(): Promise<{ rel: string; file: string; mtimeMs: number }> {
  dir = await mkdtemp(join(tmpdir(), 'syncflow-stale-'))
  const file = join(dir, 'tsconfig.tsbuildinfo')
  await writeFile(file, '{}')
  await utimes(file, 1_700_000_000, 1_700_000_000)
  return { rel: relative(HERE, file), file, mtimeMs: (await stat(file)).mtimeMs }
}

describe('staleBundle', () => {
  it('is never stale outside a bundle (tsc output, tests)', () => {
    expect(staleBundle()).toBeUndefined()
  })

  it('is fresh while every recorded build input keeps its mtime, and when an input is missing (installed)', async () => {
    const { rel, mtimeMs } = await buildInfo()
    vi.stubGlobal(
      'SYNCFLOW_BUNDLE_INPUTS',
      JSON.stringify([
        [rel, mtimeMs],
        ['../no/such/tsconfig.tsbuildinfo', 1],
      ]),
    )
    expect(staleBundle()).toBeUndefined()
  })

  it('points at tsc entry (index.js beside it) once tsc rewrote an input since the bundle was made', async () => {
    const { rel, file, mtimeMs } = await buildInfo()
    vi.stubGlobal('SYNCFLOW_BUNDLE_INPUTS', JSON.stringify([[rel, mtimeMs]]))
    await utimes(file, 1_700_000_100, 1_700_000_100)
    expect(staleBundle()?.href).toBe(new URL('../src/index.js', import.meta.url).href)
  })
})
