import { promises as fs } from 'node:fs'
import path from 'node:path'

/**
 * `mkdir -p` for syncflow's own directories (the state directory): from the nearest directory
 * that exists, each missing one is made in turn. Not `fs.mkdir(dir, { recursive: true })`: where
 * a directory refuses new entries with ENOENT (`/proc`, `/sys`), Node's recursive mkdir makes the
 * parent, finds it there, and tries the child again, for ever at full CPU (QA 22 #11).
 * @throws the error of the first directory that could not be made (its errno code kept); ENOTDIR
 * when what is on the way is a file.
 */
export async function makeDirectory(dir: string, mode: number): Promise<void> {
  const missing: string[] = []
  let at = path.resolve(dir)
  for (;;) {
    const st = await fs.stat(at).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined
      throw err
    })
    if (st !== undefined) {
      if (!st.isDirectory()) throw notADirectory(at)
      break
    }
    missing.push(at)
    const parent = path.dirname(at)
    if (parent === at) break
    at = parent
  }
  for (const d of missing.reverse()) {
    await fs.mkdir(d, { mode }).catch(async (err: NodeJS.ErrnoException) => {
      // Made meanwhile by another run: fine if it is a directory.
      if (err.code === 'EEXIST' && (await fs.stat(d)).isDirectory()) return
      throw err
    })
  }
}

function notADirectory(at: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${at}' (it is a file)`), {
    code: 'ENOTDIR',
    path: at,
  })
}
