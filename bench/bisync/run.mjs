#!/usr/bin/env node
// @ts-check
// Two-way sync benchmark: `syncflow bisync` against `rclone bisync` on the same generated trees of
// local directories, in one run, several repetitions each; prints a markdown table of medians and
// ratios to rclone. See bench/README.md ("bisync"). Not a test: nothing is asserted.
//
//   node bench/bisync/run.mjs [--reps 3] [--quick] [--data DIR] [--keep] [--no-install] [--no-build]

import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { checkDataDir, parseFlags, resetDataDir, wholeFlag } from '../lib/flags.mjs'
import { canMeasureRusage, measure } from '../lib/measure.mjs'
import { deriveSeed } from '../lib/prng.mjs'
import { fmt, markdownTable, median, ratio } from '../lib/stats.mjs'
import { REPO, SYNCFLOW_BIN } from '../lib/tools.mjs'
import {
  changeSome,
  deleteSome,
  listTree,
  smallFilesTree,
  totalBytes,
  treeDifference,
  writeTree,
} from '../lib/tree.mjs'

/**
 * @typedef {import('../lib/measure.mjs').Measurement} Measurement
 * @typedef {{ name: string, run: (a: string, b: string, first: boolean) => { cmd: string, args: string[], env?: NodeJS.ProcessEnv }, reset: () => void }} Tool
 */

const flags = parseFlags('node bench/bisync/run.mjs', {
  reps: { type: 'string', default: '3' },
  quick: { type: 'boolean', default: false },
  data: { type: 'string', default: path.join(REPO, '.bench-data', 'bisync') },
  keep: { type: 'boolean', default: false },
  'no-install': { type: 'boolean', default: false },
  'no-build': { type: 'boolean', default: false },
})
const SEED = 20261206
const quick = flags.quick === true
const reps = quick ? 1 : wholeFlag(flags, 'reps')
const SMALL = quick ? { files: 1000, dirs: 20 } : { files: 10_000, dirs: 200 }
const data = path.resolve(String(flags.data))
const log = (/** @type {string} */ msg) => process.stderr.write(`bench: ${msg}\n`)

checkDataDir(data, path.join(REPO, '.bench-data', 'bisync'))
if (!flags['no-install']) spawnSync('sh', [path.join(REPO, 'bench/install-tools.sh')], { stdio: 'inherit' })
if (!flags['no-build']) {
  const r = spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' })
  if (r.status !== 0) throw new Error('build failed')
}
resetDataDir(data)
const rcloneConfig = path.join(data, 'rclone.conf')
writeFileSync(rcloneConfig, '')

/** @type {Tool[]} */
const tools = [
  {
    name: 'syncflow',
    // The default state store (SQLite), in a scratch state directory.
    run: (a, b) => ({
      cmd: process.execPath,
      args: [SYNCFLOW_BIN, 'bisync', a, b, '-q'],
      env: { ...process.env, SYNCFLOW_STATE_DIR: path.join(data, 'state-syncflow') },
    }),
    reset: () => rmSync(path.join(data, 'state-syncflow'), { recursive: true, force: true }),
  },
  {
    name: 'rclone',
    // rclone's bisync takes --resync on its first run (it refuses to run without its listings).
    run: (a, b, first) => ({
      cmd: 'rclone',
      args: [
        'bisync',
        a,
        b,
        '--config',
        rcloneConfig,
        '--workdir',
        path.join(data, 'workdir-rclone'),
        ...(first ? ['--resync'] : []),
      ],
    }),
    reset: () => rmSync(path.join(data, 'workdir-rclone'), { recursive: true, force: true }),
  },
]
const rcloneOk = spawnSync('rclone', ['version'], { encoding: 'utf8' }).status === 0
const toolList = tools.filter((t) => t.name !== 'rclone' || rcloneOk)
if (!rcloneOk) log('rclone is not installed: left out')
if (!canMeasureRusage()) log('GNU time (/usr/bin/time) is missing: CPU and memory are not measured')

/** @type {{ scenario: string, tool: string, runs: Measurement[], wrong?: string }[]} */
const results = []
const loadBefore = os.loadavg()
const started = new Date()
const sideOf = (/** @type {Tool} */ t, /** @type {'a' | 'b'} */ s) => path.join(data, `${s}-${t.name}`)
const rotate = (/** @type {Tool[]} */ list, /** @type {number} */ rep) => [
  ...list.slice(rep % list.length),
  ...list.slice(0, rep % list.length),
]

/**
 * @param {string} scenario
 * @param {Tool} tool
 * @param {boolean} first
 */
function timed(scenario, tool, first) {
  const { cmd, args, env } = tool.run(sideOf(tool, 'a'), sideOf(tool, 'b'), first)
  spawnSync('sync')
  const m = measure(cmd, args, env ? { env } : {})
  let r = results.find((x) => x.scenario === scenario && x.tool === tool.name)
  if (!r) {
    r = { scenario, tool: tool.name, runs: [] }
    results.push(r)
  }
  r.runs.push(m)
  // Both sides must end equal: a wrong result is flagged in the table, never silently timed.
  const diff = treeDifference(listTree(sideOf(tool, 'a')), listTree(sideOf(tool, 'b')))
  if (diff !== undefined) {
    r.wrong = diff
    log(`WRONG RESULT: ${tool.name} in ${scenario}: A and B differ: ${diff}`)
  }
  log(`${scenario}: ${tool.name} ${fmt(m.wallS, 3, ' s')}`)
}

const label = `${SMALL.files.toLocaleString('en')} files in ${SMALL.dirs} dirs`
const specs = smallFilesTree({ files: SMALL.files, dirs: SMALL.dirs, seed: deriveSeed(SEED, SMALL.files) })
const src = path.join(data, 'src')
writeTree(src, specs)
log(`${SMALL.files} files, ${(totalBytes(specs) / 2 ** 20).toFixed(1)} MiB generated`)

// First run: A holds the tree, B is empty (each tool its own pair).
const initial = `first run, A ${label}, B empty`
for (let rep = 0; rep < reps; rep++) {
  for (const tool of rotate(toolList, rep)) {
    for (const s of /** @type {const} */ (['a', 'b'])) rmSync(sideOf(tool, s), { recursive: true, force: true })
    cpSync(src, sideOf(tool, 'a'), { recursive: true, preserveTimestamps: true })
    mkdirSync(sideOf(tool, 'b'))
    tool.reset()
    timed(initial, tool, true)
  }
}
const noop = `no-op run, ${label} on both sides`
for (let rep = 0; rep < reps; rep++) for (const tool of rotate(toolList, rep)) timed(noop, tool, false)
const both = `run after changing 1% on A, 1% on B and deleting 0.5% on B, ${label}`
/** The files both sides have (each repetition deletes some). */
let present = specs
for (let rep = 0; rep < reps; rep++) {
  /** @type {Set<string>} */
  let gone = new Set()
  for (const tool of rotate(toolList, rep)) {
    // The same edits for every tool: the same seeds on its own copies.
    changeSome(sideOf(tool, 'a'), structuredClone(present), 0.01, deriveSeed(SEED, 1, rep))
    changeSome(sideOf(tool, 'b'), structuredClone(present), 0.01, deriveSeed(SEED, 2, rep))
    gone = new Set(deleteSome(sideOf(tool, 'b'), present, 0.005, deriveSeed(SEED, 3, rep)).map((f) => f.path))
  }
  present = present.filter((f) => !gone.has(f.path))
  for (const tool of rotate(toolList, rep)) timed(both, tool, false)
}

const loadAfter = os.loadavg()
const rows = results.map((r) => {
  const med = (/** @type {(m: Measurement) => number | undefined} */ f) => {
    const v = r.runs.map(f).filter((x) => x !== undefined)
    return v.length === r.runs.length ? median(/** @type {number[]} */ (v)) : undefined
  }
  const peer = results.find((x) => x.scenario === r.scenario && x.tool === 'rclone')
  const peerWall = peer ? median(peer.runs.map((m) => m.wallS)) : undefined
  const peerCpu = peer?.runs.every((m) => m.cpuS !== undefined)
    ? median(peer.runs.map((m) => /** @type {number} */ (m.cpuS)))
    : undefined
  const wall = /** @type {number} */ (med((m) => m.wallS))
  const cpu = med((m) => m.cpuS)
  const rss = med((m) => m.maxRssKiB)
  return [
    r.scenario,
    `${r.tool}${r.wrong ? ' (WRONG)' : ''}`,
    String(r.runs.length),
    fmt(wall, 3),
    fmt(cpu, 2),
    rss === undefined ? '' : fmt(rss / 1024, 0),
    peerWall === undefined ? '' : `${fmt(ratio(wall, peerWall), 2)}×`,
    peerCpu === undefined || cpu === undefined ? '' : `${fmt(ratio(cpu, peerCpu), 2)}×`,
  ]
})
const table = markdownTable(
  ['scenario', 'tool', 'runs', 'wall s', 'CPU s', 'peak RSS MiB', 'wall ÷ rclone', 'CPU ÷ rclone'],
  rows,
)
const head = `bisync benchmark, ${started.toISOString()}, ${os.cpus().length} CPUs, load ${loadBefore
  .map((l) => l.toFixed(2))
  .join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after\n\n`
process.stdout.write(`${head}${table}\n`)
writeFileSync(path.join(data, 'results.md'), `${head}${table}\n`)
writeFileSync(path.join(data, 'results.json'), JSON.stringify({ started, loadBefore, loadAfter, results }, null, 2))
log(`results in ${path.relative(REPO, path.join(data, 'results.md'))}`)
if (!flags.keep) {
  for (const tool of toolList) {
    for (const s of /** @type {const} */ (['a', 'b'])) rmSync(sideOf(tool, s), { recursive: true, force: true })
    tool.reset()
  }
  rmSync(src, { recursive: true, force: true })
}
