import { readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'vitest'
import { type CliResult, type RunningCli, startCli, startServe, tempDir } from './cli.js'

// Pulls from a `syncflow serve` that are stopped midway: the download-resume tests' shared parts.

/** The size of the biggest temp file (a write under way, or a partial) in `dir` whose name is not in `except`; -1: none. */
export async function biggestTemp(dir: string, except: readonly string[] = []): Promise<number> {
  let most = -1
  for (const n of await readdir(dir)) {
    if (n.startsWith('.syncflow-tmp-') && !except.includes(n))
      most = Math.max(most, (await stat(join(dir, n)).catch(() => undefined))?.size ?? 0)
  }
  return most
}

/** A served root holding `files` (name → bytes), and the URL of its server (pushed to `running`, a `killedAfterEach` list). */
export async function servedFiles(
  files: Record<string, Buffer>,
  running: RunningCli[],
): Promise<{ root: string; url: string }> {
  const root = await tempDir()
  for (const [name, data] of Object.entries(files)) await writeFile(join(root, name), data)
  const { server, port } = await startServe(root)
  running.push(server)
  return { root, url: `grpc://127.0.0.1:${port}/` }
}

/** A served root holding `big.bin` (`data`), an empty local target, and the URL of the server. */
export async function servedBig(
  data: Buffer,
  running: RunningCli[],
): Promise<{ root: string; dst: string; url: string }> {
  const { root, url } = await servedFiles({ 'big.bin': data }, running)
  return { root, dst: await tempDir(), url }
}

/**
 * Starts `syncflow ARGS` (a pull of `url` into `dst`: `sync` by default) slowed by `bwlimit`, and
 * stops it with `signal` once a temp file of its own (none of the names there before it started)
 * holds more than `bytes`.
 */
export async function stoppedPull(
  running: RunningCli[],
  url: string,
  dst: string,
  o: { readonly bytes: number; readonly signal: NodeJS.Signals; readonly bwlimit?: string; readonly command?: string },
  env?: Record<string, string>,
): Promise<CliResult> {
  const before = await readdir(dst)
  const run = startCli([o.command ?? 'sync', url, dst, '--bwlimit', o.bwlimit ?? '8M'], env ? { env } : {})
  running.push(run)
  await expect.poll(() => biggestTemp(dst, before), { timeout: 30_000, interval: 20 }).toBeGreaterThan(o.bytes)
  run.child.kill(o.signal)
  return run.exited
}
