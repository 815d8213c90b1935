import os from 'node:os'
import path from 'node:path'

/**
 * Where syncflow keeps per-job state and locks: `$SYNCFLOW_STATE_DIR`, else
 * `$XDG_STATE_HOME/syncflow`, else the platform's place for application state
 * (Linux and other Unixes `~/.local/state/syncflow`, macOS `~/Library/Application Support/syncflow`,
 * Windows `%LOCALAPPDATA%\syncflow`).
 */
export function defaultStateDir(): string {
  return stateDirFor(process.env, process.platform, os.homedir())
}

/** The SQLite file of job `jobId` in the default state store (see `openStateStore`). */
export function defaultStateFile(jobId: string, stateDir = defaultStateDir()): string {
  return path.join(stateDir, `${jobId}.sqlite`)
}

/** `defaultStateDir` for a given environment, platform and home directory (testable). */
export function stateDirFor(
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform,
  home: string,
): string {
  const p = platform === 'win32' ? path.win32 : path.posix
  const explicit = env.SYNCFLOW_STATE_DIR
  if (explicit) return p.resolve(explicit)
  // The XDG spec says relative values are invalid and must be ignored.
  const xdg = env.XDG_STATE_HOME
  if (xdg && p.isAbsolute(xdg)) return p.join(xdg, 'syncflow')
  if (platform === 'darwin') return p.join(home, 'Library', 'Application Support', 'syncflow')
  if (platform === 'win32') return p.join(env.LOCALAPPDATA || p.join(home, 'AppData', 'Local'), 'syncflow')
  return p.join(home, '.local', 'state', 'syncflow')
}
