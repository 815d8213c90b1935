// @ts-check
// The tools under comparison: how to find each and how to run one sync with it.

import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url))
/** The built syncflow binary. */
export const SYNCFLOW_BIN = path.join(REPO, 'packages/cli-tui/dist/bin.js')

/**
 * A tool: a name, its version (undefined when not installed), and the command of one sync.
 * `initialOnly` tools (cp) only make sense for a first copy into an empty target.
 * @typedef {{
 *   name: string,
 *   version: string | undefined,
 *   initialOnly?: boolean,
 *   command(src: string, dst: string): { cmd: string, args: string[], env?: NodeJS.ProcessEnv },
 *   reset?(): void,
 * }} Tool
 */

/**
 * The first line of `cmd --version`, or undefined when it cannot be run.
 * @param {string} cmd
 * @param {string[]} [args]
 */
function versionOf(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.split('\n')[0]?.trim() : undefined
}

/**
 * Every tool, installed or not (`version` undefined when not).
 * @param {{ stateDir: string, rcloneConfig: string, syncflowArgs?: readonly string[], nodeArgs?: readonly string[] }} o
 * @returns {Tool[]}
 */
export function tools({ stateDir, rcloneConfig, syncflowArgs = [], nodeArgs = [] }) {
  writeFileSync(rcloneConfig, '')
  const syncflowVersion = existsSync(SYNCFLOW_BIN)
    ? versionOf(process.execPath, [SYNCFLOW_BIN, '--version'])
    : undefined
  return [
    {
      name: 'syncflow',
      version: syncflowVersion && `syncflow ${syncflowVersion} (node ${process.versions.node})`,
      command: (src, dst) => ({
        cmd: process.execPath,
        // The default state store, kept in a scratch state directory so runs never touch ~.
        args: [...nodeArgs, SYNCFLOW_BIN, 'sync', src, dst, '-q', ...syncflowArgs],
        env: { ...process.env, SYNCFLOW_STATE_DIR: stateDir },
      }),
    },
    {
      name: 'rsync',
      version: versionOf('rsync'),
      command: (src, dst) => ({ cmd: 'rsync', args: ['-a', '--delete', `${src}/`, `${dst}/`] }),
    },
    {
      name: 'rclone',
      version: versionOf('rclone', ['version']),
      // An empty config file: no "config file not found" notice, and no user settings.
      command: (src, dst) => ({ cmd: 'rclone', args: ['sync', src, dst, '--config', rcloneConfig] }),
    },
    {
      name: 'cp -a',
      version: versionOf('cp'),
      initialOnly: true,
      command: (src, dst) => ({ cmd: 'cp', args: ['-a', src, dst] }),
    },
  ]
}
