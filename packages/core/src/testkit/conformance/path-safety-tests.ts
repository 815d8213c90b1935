import { Readable } from 'node:stream'
import { expect } from 'vitest'
import { type Backend, supports } from '../../backend/backend.js'
import { isSyncError } from '../../errors/sync-error.js'
import type { RelPath } from '../../model/rel-path.js'
import { settled, writeText } from '../backend-io.js'
import { HOSTILE_PATHS } from '../names.js'
import { ScratchDir } from '../scratch-dir.js'
import type { SuiteContext } from '../suite-context.js'
import { listAll } from './ordered-listing.js'

type Call = (b: Backend, path: RelPath) => Promise<unknown>

const META = { mtimeMs: 1_600_000_000_000 }

/** One entry per method and argument position that takes a path. */
const CALLS: readonly [name: string, call: Call, has?: (b: Backend) => boolean][] = [
  ['stat', (b, p) => b.stat(p)],
  ['read', (b, p) => b.read(p)],
  ['write', (b, p) => b.write(p, Readable.from([Buffer.from('pwned')]), META)],
  ['remove', (b, p) => b.remove(p)],
  ['move (from)', (b, p) => (b as Backend & { move: Move }).move(p, 'ok-dst' as RelPath), supports.move],
  ['move (to)', (b, p) => (b as Backend & { move: Move }).move('ok.txt' as RelPath, p), supports.move],
  ['copy (from)', (b, p) => (b as Backend & { copy: Move }).copy(p, 'ok-dst' as RelPath), supports.copy],
  ['copy (to)', (b, p) => (b as Backend & { copy: Move }).copy('ok.txt' as RelPath, p), supports.copy],
  ['hash', (b, p) => (b as Backend & { hash: Hash }).hash(p, b.capabilities.hashes[0] ?? 'sha256'), supports.hash],
  ['setMtime', (b, p) => (b as Backend & { setMtime: SetMtime }).setMtime(p, 1), supports.setMtime],
  ['setMode', (b, p) => (b as Backend & { setMode: SetMode }).setMode(p, 0o600), supports.setMode],
  ['mkdir', (b, p) => (b as Backend & { mkdir: Mkdir }).mkdir(p), supports.mkdir],
  ['symlink', (b, p) => (b as Backend & { symlink: Symlink }).symlink(p, 'ok.txt'), supports.symlink],
]
type Move = (a: RelPath, b: RelPath) => Promise<unknown>
type Hash = (p: RelPath, algo: string) => Promise<string>
type SetMtime = (p: RelPath, ms: number) => Promise<unknown>
type SetMode = (p: RelPath, mode: number) => Promise<unknown>
type Mkdir = (p: RelPath) => Promise<void>
type Symlink = (p: RelPath, target: string) => Promise<void>

/**
 * Hostile paths are rejected by every method with INVALID_PATH, and nothing is created, inside the
 * root or out of it. The paths that lead out of it end in the test's scratch directory (when the
 * factory roots the backend in `ctx.root`; the absolute one always), checked after each call, so a
 * backend that lets one through fails naming what it touched there, and touches nothing else.
 */
export function pathSafetyTests(s: SuiteContext): void {
  s.group('path safety', () => {
    for (const [name, call, has] of CALLS) {
      s.test(`${name} rejects every non-RelPath with INVALID_PATH and creates nothing`, async (b, t) => {
        if (has && !has(b)) return t.skip(`backend has no ${name.split(' ')[0]}()`)
        await writeText(b, 'ok.txt', 'fine')
        const before = await listAll(b)
        const escapes = await escapeWatch(s.scratch())
        for (const hostile of HOSTILE_PATHS) {
          const path = s.scratch().contain(hostile)
          const outcome = await settled(call(b, path as RelPath))
          const label = `${name}(${JSON.stringify(path)})`
          await escapes.check(label)
          expect('error' in outcome, `${label} must reject`).toBe(true)
          const error = (outcome as { error: unknown }).error
          expect(isSyncError(error) ? error.code : error, label).toBe('INVALID_PATH')
        }
        expect(await listAll(b)).toEqual(before)
      })
    }

    s.test('copyFrom rejects non-RelPaths (or declines with undefined) and creates nothing', async (b, t) => {
      if (!supports.copyFrom(b)) return t.skip('backend has no copyFrom()')
      await writeText(b, 'ok.txt', 'fine')
      const before = await listAll(b)
      const escapes = await escapeWatch(s.scratch())
      for (const hostile of HOSTILE_PATHS.map((p) => s.scratch().contain(p))) {
        for (const [from, to] of [
          [hostile, 'ok-dst'],
          ['ok.txt', hostile],
        ] as const) {
          const outcome = await settled(b.copyFrom(b, from as RelPath, to as RelPath, META))
          await escapes.check(`copyFrom(${JSON.stringify(from)}, ${JSON.stringify(to)})`)
          if ('value' in outcome) expect(outcome.value, `copyFrom(${from}, ${to})`).toBeUndefined()
          else expect(isSyncError(outcome.error) ? outcome.error.code : outcome.error).toBe('INVALID_PATH')
        }
      }
      expect(await listAll(b)).toEqual(before)
    })
  })
}

/**
 * Plants the scratch directory's canaries and takes its state outside the root; `check(label)`
 * fails the test, naming what `label` created, changed or removed there, when anything differs.
 */
async function escapeWatch(scratch: ScratchDir): Promise<{ check(label: string): Promise<void> }> {
  await scratch.plantCanaries()
  const before = await scratch.outsideRoot()
  return {
    async check(label) {
      const changes = ScratchDir.changes(before, await scratch.outsideRoot())
      expect(
        changes,
        `${label} reached outside the backend's root (${scratch.root}): ${changes.join(', ')}. Refuse every ` +
          'path that is not a RelPath (toRelPath or isRelPath of @syncflow/core) before touching anything',
      ).toEqual([])
    },
  }
}
