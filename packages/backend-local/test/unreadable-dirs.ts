import { readdir } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * `node:fs` whose `readdirSync` fails with EACCES for the directories in `unreadable`, as for one
 * without read permission. The tests run as root, where `chmod 000` denies nothing
 * (CAP_DAC_READ_SEARCH), so the failure is injected into the listing walk's readdir: the code under
 * test handles it for real. For `vi.mock('node:fs', …)` of the conformance suites (local, gRPC).
 */
export function fsWithUnreadableDirs<Fs extends typeof import('node:fs')>(fs: Fs, unreadable: ReadonlySet<string>) {
  const readdirSync = ((path: Parameters<Fs['readdirSync']>[0], options?: unknown) => {
    // The walk reads a directory through a handle on it (/proc/self/fd/N): matched by what it names.
    const named = /^\/proc\/self\/fd\/\d+$/.test(String(path)) ? fs.readlinkSync(String(path)) : String(path)
    if (unreadable.has(named)) {
      throw Object.assign(new Error(`EACCES: permission denied, scandir '${String(path)}'`), {
        errno: -13,
        code: 'EACCES',
        syscall: 'scandir',
        path: String(path),
      })
    }
    return fs.readdirSync(path, options as never)
  }) as Fs['readdirSync']
  return { ...fs, readdirSync, default: { ...fs, readdirSync } }
}

/** The files below `root` (temp files included), relative to it: what a backend's storage holds. */
export async function filesBelow(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name).slice(root.length + 1))
}
