import { createHash } from 'node:crypto'
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ESCAPED_NAME } from './names.js'

/** What a canary holds: a path out of the root that wrote over it is told by its content. */
const CANARY = 'planted by the syncflow conformance suite\n'

/**
 * A directory of the conformance suite's own for one test (below the OS's temp directory), with
 * the backend's root two levels down: `<dir>/outside/root`. So every path of `HOSTILE_PATHS` that
 * leads out of a root (`..`, `../../x`, and the absolute one, which `contain` leads here) ends
 * inside `dir`, where `changedOutside` finds what it created, changed or removed: a backend that
 * lets one through harms nothing else on the machine, and the test that gave it fails naming it.
 */
export class ScratchDir {
  private constructor(
    /** The scratch directory: removed with all it holds by `remove`. */
    readonly dir: string,
    /** An empty directory for the backend's root (`BackendFactoryContext.root`). */
    readonly root: string,
  ) {}

  /** Makes a fresh one (and its root). */
  static async make(): Promise<ScratchDir> {
    const dir = await mkdtemp(join(tmpdir(), 'syncflow-testkit-'))
    const root = join(dir, 'outside', 'root')
    await mkdir(root, { recursive: true })
    return new ScratchDir(dir, root)
  }

  /** `hostile` as the suite gives it to the backend: an absolute path is led into `dir`. */
  contain(hostile: string): string {
    return hostile.startsWith('/') ? `${this.dir}${hostile}` : hostile
  }

  /**
   * Files where the escaping paths lead (`../x`, `../../x`, the absolute one), so that a backend's
   * remove, move, chmod or read through one is seen too, not only a write.
   */
  async plantCanaries(): Promise<void> {
    for (const file of [join(this.dir, 'outside', ESCAPED_NAME), join(this.dir, ESCAPED_NAME)]) {
      await writeFile(file, CANARY)
    }
  }

  /** Each entry below `dir` outside the root, by path, with what tells a change (kind, mode, mtime, content). */
  async outsideRoot(): Promise<Map<string, string>> {
    const seen = new Map<string, string>()
    const walk = async (at: string): Promise<void> => {
      for (const name of await readdir(at).catch(() => [])) {
        const path = join(at, name)
        if (path === this.root) continue
        const st = await lstat(path).catch(() => undefined)
        if (st === undefined) continue
        let what = `${st.mode.toString(8)} ${st.mtimeMs}`
        if (st.isFile())
          what += ` ${createHash('sha256')
            .update(await readFile(path))
            .digest('hex')}`
        else if (st.isSymbolicLink()) what += ` -> ${await readlink(path)}`
        seen.set(path, what)
        if (st.isDirectory()) await walk(path)
      }
    }
    await walk(this.dir)
    return seen
  }

  /** What differs between two `outsideRoot` snapshots: `created`, `changed` or `removed`, by path. */
  static changes(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
    const changes: string[] = []
    for (const [path, what] of after) {
      const was = before.get(path)
      if (was === undefined) changes.push(`created ${path}`)
      else if (was !== what) changes.push(`changed ${path}`)
    }
    for (const path of before.keys()) if (!after.has(path)) changes.push(`removed ${path}`)
    return changes
  }

  /** Removes the directory and all it holds. */
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }
}
