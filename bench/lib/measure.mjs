// @ts-check
// Runs one command and measures it: wall time (here), user and system CPU time and peak RSS
// (GNU time, from the kernel's rusage of the child and the children it waited for).

import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const GNU_TIME = '/usr/bin/time'

/**
 * One measured run.
 * @typedef {{ wallS: number, userS: number | undefined, sysS: number | undefined, cpuS: number | undefined, maxRssKiB: number | undefined }} Measurement
 */

/** True when GNU time is there (CPU and memory figures need it). */
export function canMeasureRusage() {
  return existsSync(GNU_TIME)
}

/**
 * Runs `cmd args` to completion, stdout discarded, and measures it.
 * Peak RSS is that of the largest single process (rusage's `ru_maxrss`), not a sum: rsync, which
 * forks a receiver beside its sender, is measured by its larger process.
 * @param {string} cmd
 * @param {readonly string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string }} [opts]
 * @returns {Measurement}
 * @throws Error with the command's stderr when it exits non-zero
 */
export function measure(cmd, args, opts = {}) {
  const rusage = canMeasureRusage()
  const out = path.join(tmpdir(), `syncflow-bench-time-${process.pid}.txt`)
  const [file, argv] = rusage ? [GNU_TIME, ['-f', '%U %S %M', '-o', out, cmd, ...args]] : [cmd, [...args]]
  const t0 = process.hrtime.bigint()
  const r = spawnSync(file, argv, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    maxBuffer: 64 * 1024 * 1024,
  })
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9
  if (r.error) throw r.error
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}:\n${r.stderr.toString().slice(-4000)}`,
    )
  }
  if (!rusage) return { wallS, userS: undefined, sysS: undefined, cpuS: undefined, maxRssKiB: undefined }
  const fields = readFileSync(out, 'utf8').trim().split('\n').at(-1)?.split(' ').map(Number) ?? []
  rmSync(out, { force: true })
  const [userS, sysS, maxRssKiB] = fields
  return {
    wallS,
    userS,
    sysS,
    cpuS: userS !== undefined && sysS !== undefined ? userS + sysS : undefined,
    maxRssKiB,
  }
}
