#!/usr/bin/env node
// @ts-check
// Continuous-sync and UI benchmarks (issue 6), local directory → local directory. Not a test:
// nothing is asserted; targets are printed beside the figures. See bench/watch/README.md.
//
//   node bench/watch/run.mjs [--only latency,burst,ui] [--writes 200] [--files 10000] [--reps 3]
//                            [--quick] [--data DIR] [--keep] [--no-build]

import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fmt, markdownTable, median } from '../lib/stats.mjs'
import { REPO, SYNCFLOW_BIN } from '../lib/tools.mjs'
import { listTree, smallFilesTree, treeDifference, writeTree } from '../lib/tree.mjs'
import { startWatch } from './watch-process.mjs'

const { values: flags } = parseArgs({
  options: {
    only: { type: 'string', default: 'latency,burst,ui' },
    writes: { type: 'string', default: '200' },
    files: { type: 'string', default: '10000' },
    reps: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    data: { type: 'string', default: path.join(REPO, '.bench-data', 'watch') },
    keep: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
})
const quick = flags.quick === true
const only = new Set(String(flags.only).split(','))
const WRITES = quick ? 50 : Number(flags.writes)
const FILES = quick ? 2000 : Number(flags.files)
const REPS = quick ? 1 : Number(flags.reps)
const DATA = String(flags.data)
const SEED = 20240606

if (!flags['no-build']) execFileSync('npx', ['tsc', '-b', 'packages/cli-tui'], { cwd: REPO, stdio: 'inherit' })
rmSync(DATA, { recursive: true, force: true })
mkdirSync(DATA, { recursive: true })
const dir = (/** @type {string} */ name) => {
  const d = path.join(DATA, name)
  rmSync(d, { recursive: true, force: true })
  mkdirSync(d, { recursive: true })
  return d
}
const pct = (/** @type {number[]} */ xs, /** @type {number} */ p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
}
/** @type {string[]} */
const report = []
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')

/** Latency from a write in SRC to the `completed` event of that file, one write at a time. */
async function latency() {
  const src = dir('lat-src')
  const dst = dir('lat-dst')
  mkdirSync(path.join(src, 'w'))
  const w = startWatch(src, dst)
  await w.next((e) => e.type === 'done')
  // The watcher is ready once the initial sync is done and a first write has come through.
  writeFileSync(path.join(src, 'w', 'warmup'), 'x')
  await w.next((e) => e.type === 'completed' && e.action?.path === 'w/warmup')
  /** @type {number[]} */
  const ms = []
  const body = Buffer.alloc(4096, 7)
  for (let i = 0; i < WRITES; i++) {
    const rel = `w/f${String(i).padStart(4, '0')}.txt`
    const done = w.next((e) => e.type === 'completed' && e.action?.path === rel, 10_000)
    const t0 = performance.now()
    writeFileSync(path.join(src, rel), body)
    const { at } = await done
    ms.push(at - t0)
    // A random pause, so writes do not fall into step with any timer.
    await new Promise((r) => setTimeout(r, Math.random() * 20))
  }
  const code = await w.stop()
  const p50 = pct(ms, 50) ?? 0
  const p99 = pct(ms, 99) ?? 0
  report.push(
    `### Latency: write in SRC → file complete in DST (${WRITES} writes of 4 KiB, one at a time, default debounce)\n`,
    markdownTable(
      ['p50', 'p90', 'p99', 'max', 'target', 'exit on SIGINT'],
      [
        [
          fmt(p50, 0, ' ms'),
          fmt(pct(ms, 90), 0, ' ms'),
          fmt(p99, 0, ' ms'),
          fmt(Math.max(...ms), 0, ' ms'),
          `p50 < 250 ms ${p50 < 250 ? '✓' : '✗'}, p99 < 1 s ${p99 < 1000 ? '✓' : '✗'}`,
          String(code),
        ],
      ],
    ),
    '',
  )
}

/** The 10,000-file tree as a tar archive (an unpacked archive is the burst). */
function burstArchive() {
  const stage = dir('burst-stage')
  writeTree(path.join(stage, 'tree'), smallFilesTree({ files: FILES, dirs: Math.max(1, FILES / 50), seed: SEED }))
  const tar = path.join(DATA, 'burst.tar')
  execFileSync('tar', ['-cf', tar, '-C', path.join(stage, 'tree'), '.'])
  return { tree: path.join(stage, 'tree'), tar }
}

/** Wall time of one command, its stdout discarded. */
function timed(/** @type {string[]} */ args, /** @type {NodeJS.ProcessEnv} */ env = process.env) {
  const t0 = performance.now()
  const r = spawnSync(args[0] ?? '', args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env })
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr}`)
  return performance.now() - t0
}

/** A burst (tar -x of FILES files into a watched SRC) against a one-shot sync of the same tree. */
async function burst(/** @type {{ tree: string, tar: string }} */ a) {
  /** @type {number[]} */
  const oneShot = []
  /** @type {number[]} */
  const absorb = []
  /** @type {number[]} */
  const untar = []
  /** @type {number[]} */
  const cycles = []
  const expected = listTree(a.tree)
  for (let rep = 0; rep < REPS; rep++) {
    const dst1 = dir('burst-oneshot-dst')
    oneShot.push(timed([process.execPath, SYNCFLOW_BIN, 'sync', a.tree, dst1, '--no-state', '-q']))

    const src = dir('burst-src')
    const dst = dir('burst-dst')
    const w = startWatch(src, dst)
    await w.next((e) => e.type === 'done')
    let copied = 0
    let dones = 0
    let last = 0
    w.on((e, at) => {
      if (e.type === 'completed' && e.action?.kind === 'copy') {
        copied++
        last = at
      }
      if (e.type === 'done') dones++
    })
    const t0 = performance.now()
    untar.push(timed(['tar', '-xf', a.tar, '-C', src]))
    await new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        if (copied >= expected.size) {
          clearInterval(timer)
          resolve(undefined)
        } else if (performance.now() - t0 > 600_000) {
          clearInterval(timer)
          reject(new Error(`burst: ${copied}/${expected.size} after 10 min`))
        }
      }, 20)
    })
    absorb.push(last - t0)
    await w.stop()
    cycles.push(dones)
    const wrong = treeDifference(expected, listTree(dst))
    if (wrong) throw new Error(`burst: DST differs from SRC: ${wrong}`)
  }
  const ratio = (median(absorb) ?? 0) / (median(oneShot) ?? 1)
  report.push(
    `### Burst: ${FILES.toLocaleString('en-US')} files unpacked (tar -x) into a watched SRC vs a one-shot sync (median of ${REPS})\n`,
    markdownTable(
      ['one-shot `sync`', 'tar -x', 'absorbed (first write → last file complete)', 'ratio', 'cycles', 'target'],
      [
        [
          fmt((median(oneShot) ?? 0) / 1000, 2, ' s'),
          fmt((median(untar) ?? 0) / 1000, 2, ' s'),
          fmt((median(absorb) ?? 0) / 1000, 2, ' s'),
          fmt(ratio, 2, '×'),
          String(median(cycles)),
          `≤ 1.3× ${ratio <= 1.3 ? '✓' : '✗'}`,
        ],
      ],
    ),
    '',
  )
}

/** `syncflow ui` in an 80x24 tmux terminal against `sync --json > /dev/null`, same tree. */
function uiOverhead(/** @type {{ tree: string }} */ a) {
  const hasTmux = spawnSync('tmux', ['-V']).status === 0
  if (!hasTmux) {
    report.push('### UI overhead\n\nskipped: tmux is not installed (apt-get install tmux)\n')
    return
  }
  /** @type {number[]} */
  const json = []
  /** @type {number[]} */
  const ui = []
  const timeFile = path.join(DATA, 'ui-time.txt')
  for (let rep = 0; rep < REPS; rep++) {
    const dst1 = dir('ui-json-dst')
    json.push(
      timed([
        'sh',
        '-c',
        `"${process.execPath}" "${SYNCFLOW_BIN}" sync "${a.tree}" "${dst1}" --json --no-state > /dev/null`,
      ]),
    )
    const dst2 = dir('ui-dst')
    rmSync(timeFile, { force: true })
    const session = `sf-bench-${process.pid}`
    // The UI runs in a real 80x24 terminal; the timer inside it measures the command alone.
    const inner = `"${process.execPath}" "${path.join(REPO, 'bench/watch/time-command.mjs')}" "${timeFile}" "${process.execPath}" "${SYNCFLOW_BIN}" ui "${a.tree}" "${dst2}" --no-state; tmux wait-for -S ${session}`
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '80', '-y', '24', inner])
    execFileSync('tmux', ['wait-for', session])
    spawnSync('tmux', ['kill-session', '-t', session])
    ui.push(Number(readFileSync(timeFile, 'utf8')))
    const wrong = treeDifference(listTree(a.tree), listTree(dst2))
    if (wrong) throw new Error(`ui: DST differs from SRC: ${wrong}`)
  }
  const overhead = (median(ui) ?? 0) / (median(json) ?? 1) - 1
  report.push(
    `### UI overhead: sync of ${FILES.toLocaleString('en-US')} small files (median of ${REPS})\n`,
    markdownTable(
      ['`sync --json > /dev/null`', '`ui` (tmux 80x24)', 'overhead', 'target'],
      [
        [
          fmt((median(json) ?? 0) / 1000, 2, ' s'),
          fmt((median(ui) ?? 0) / 1000, 2, ' s'),
          fmt(overhead * 100, 1, '%'),
          `≤ 10% ${overhead <= 0.1 ? '✓' : '✗'}`,
        ],
      ],
    ),
    '',
  )
}

const started = load()
if (only.has('latency')) await latency()
if (only.has('burst') || only.has('ui')) {
  const archive = burstArchive()
  if (only.has('burst')) await burst(archive)
  if (only.has('ui')) uiOverhead(archive)
}
const out = [
  `## syncflow watch / ui benchmarks (${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, node ${process.versions.node}, load ${started} → ${load()})\n`,
  ...report,
].join('\n')
console.log(out)
writeFileSync(path.join(DATA, 'results.md'), `${out}\n`)
if (!flags.keep) {
  for (const d of [
    'lat-src',
    'lat-dst',
    'burst-stage',
    'burst-src',
    'burst-dst',
    'burst-oneshot-dst',
    'ui-json-dst',
    'ui-dst',
  ]) {
    rmSync(path.join(DATA, d), { recursive: true, force: true })
  }
}
