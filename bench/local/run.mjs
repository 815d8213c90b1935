#!/usr/bin/env node
// @ts-check
// Local-directory benchmarks: syncflow against rsync (and rclone, cp -a, rsync --fsync) on the
// same generated trees, in one run, several repetitions each; prints a markdown table of medians
// and ratios to rsync. See bench/README.md. Not a test: nothing is asserted.
//
//   node bench/local/run.mjs [--reps 5] [--big-reps 3] [--only initial,noop,change,delete,mixed,rename,snapshot,move,large]
//                            [--tools syncflow,rsync,…] [--quick] [--profile] [--data DIR] [--keep]

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { summarizeCpuProfile } from '../lib/cpu-profile.mjs'
import { badFlag, checkDataDir, parseFlags, resetDataDir, wholeFlag } from '../lib/flags.mjs'
import { canMeasureRusage, measure } from '../lib/measure.mjs'
import { deriveSeed } from '../lib/prng.mjs'
import { fmt, markdownTable, median, ratio } from '../lib/stats.mjs'
import { tools as allTools, REPO, SYNCFLOW_BIN } from '../lib/tools.mjs'
import {
  changeSome,
  deleteSome,
  listTree,
  mixedTree,
  smallFilesTree,
  totalBytes,
  treeDifference,
  writeTree,
} from '../lib/tree.mjs'

/**
 * @typedef {import('../lib/tools.mjs').Tool} Tool
 * @typedef {import('../lib/measure.mjs').Measurement} Measurement
 * @typedef {import('../lib/tree.mjs').FileSpec} FileSpec
 * @typedef {{ scenario: string, tool: string, runs: Measurement[], wrong?: string }} Result
 */

const SCENARIOS = ['initial', 'noop', 'change', 'delete', 'mixed', 'rename', 'snapshot', 'move', 'large']
const flags = parseFlags('node bench/run.mjs', {
  reps: { type: 'string', default: '5' },
  'big-reps': { type: 'string', default: '3' },
  only: { type: 'string', default: SCENARIOS.join(',') },
  tools: { type: 'string', default: 'syncflow,rsync,rclone,cp -a,rsync --fsync' },
  quick: { type: 'boolean', default: false },
  profile: { type: 'boolean', default: false },
  data: { type: 'string', default: path.join(REPO, '.bench-data', 'local') },
  keep: { type: 'boolean', default: false },
  'no-install': { type: 'boolean', default: false },
  'no-build': { type: 'boolean', default: false },
})

const SEED = 20240601
const quick = flags.quick === true
const reps = quick ? 2 : wholeFlag(flags, 'reps')
const bigReps = quick ? 1 : wholeFlag(flags, 'big-reps')
const only = new Set(String(flags.only).split(','))
const SMALL = quick ? { files: 1000, dirs: 20 } : { files: 10_000, dirs: 200 }
const LARGE = quick ? { files: 10_000, dirs: 200 } : { files: 100_000, dirs: 2000 }
const MIXED_MAX = quick ? 32 * 1024 * 1024 : 256 * 1024 * 1024
const data = path.resolve(String(flags.data))
const profileDir = path.join(data, 'profiles')
const log = (/** @type {string} */ msg) => process.stderr.write(`bench: ${msg}\n`)

checkDataDir(data, path.join(REPO, '.bench-data', 'local'))
for (const s of only)
  if (!SCENARIOS.includes(s)) badFlag(`--only: unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`)

if (!flags['no-install']) {
  spawnSync('sh', [path.join(REPO, 'bench/install-tools.sh')], { stdio: 'inherit' })
}
if (!flags['no-build']) {
  log('building the CLI (npx tsc -b packages/cli-tui, then its bundle)')
  const r = spawnSync('npx', ['tsc', '-b', 'packages/cli-tui'], { cwd: REPO, stdio: 'inherit' })
  if (r.status !== 0) throw new Error('build failed')
  const b = spawnSync(process.execPath, ['packages/cli-tui/scripts/bundle.mjs'], { cwd: REPO, stdio: 'inherit' })
  if (b.status !== 0) throw new Error('bundling the CLI failed')
}

resetDataDir(data)
const stateDir = path.join(data, 'state')
const wanted = new Set(String(flags.tools).split(','))
const available = allTools({ stateDir, rcloneConfig: path.join(data, 'rclone.conf') }).filter((t) =>
  [...wanted].some((w) => w === t.name || w.startsWith(`${t.name} `)),
)
/** @type {Tool[]} */
const toolList = []
for (const t of available) {
  if (t.version === undefined) {
    log(`${t.name} is not installed: left out`)
    continue
  }
  if (wanted.has(t.name)) toolList.push(t)
  // For the rename scenario: syncflow and rclone with rename tracking the other way from its default.
  const tracking = `${t.name} --track-renames`
  if ((t.name === 'syncflow' || t.name === 'rclone') && wanted.has(tracking)) {
    toolList.push({
      ...t,
      name: tracking,
      command: (src, dst) => {
        const c = t.command(src, dst)
        return { ...c, args: [...c.args, '--track-renames'] }
      },
    })
  }
  // rsync --fsync: like-for-like with syncflow, which fsyncs every file it writes (atomic writes).
  if (t.name === 'rsync' && wanted.has('rsync --fsync')) {
    toolList.push({
      ...t,
      name: 'rsync --fsync',
      command: (src, dst) => ({ cmd: 'rsync', args: ['-a', '--delete', '--fsync', `${src}/`, `${dst}/`] }),
    })
  }
}
if (!toolList.some((t) => t.name === 'syncflow')) throw new Error(`syncflow is not built (${SYNCFLOW_BIN})`)
if (!canMeasureRusage()) log('GNU time (/usr/bin/time) is missing: CPU and memory are not measured')

/** @type {Result[]} */
const results = []
const loadBefore = os.loadavg()
const started = new Date()

/**
 * Flushes dirty pages, so no run pays for the previous one's writes. Page caches are not dropped
 * (that needs root and would disturb everything else on the machine): all runs are warm alike.
 */
function settle() {
  spawnSync('sync')
}

/**
 * The target directory of a tool in a tree group.
 * @param {string} group
 * @param {Tool} tool
 */
function targetOf(group, tool) {
  return path.join(data, `dst-${group}-${tool.name.replace(/[^a-z0-9]+/gi, '_')}`)
}

/**
 * Empties a tool's target (and syncflow's state: a first run is a first run).
 * @param {string} group
 * @param {Tool} tool
 */
function resetTarget(group, tool) {
  rmSync(targetOf(group, tool), { recursive: true, force: true })
  if (tool.name.startsWith('syncflow')) rmSync(stateDir, { recursive: true, force: true })
}

/**
 * The tools in a rotated order per repetition, so none always runs first (or last).
 * @param {readonly Tool[]} list
 * @param {number} rep
 */
function rotate(list, rep) {
  const k = rep % list.length
  return [...list.slice(k), ...list.slice(0, k)]
}

/**
 * @param {string} scenario
 * @param {Tool} tool
 */
function resultOf(scenario, tool) {
  let r = results.find((x) => x.scenario === scenario && x.tool === tool.name)
  if (!r) {
    r = { scenario, tool: tool.name, runs: [] }
    results.push(r)
  }
  return r
}

/**
 * One measured sync of `src` into the tool's target.
 * @param {string} scenario
 * @param {string} group
 * @param {Tool} tool
 * @param {string} src
 */
function timed(scenario, group, tool, src) {
  const { cmd, args, env } = tool.command(src, targetOf(group, tool))
  settle()
  const m = measure(cmd, args, env ? { env } : {})
  resultOf(scenario, tool).runs.push(m)
  return m
}

/**
 * An unmeasured sync (to bring a target in line before a scenario).
 * @param {string} group
 * @param {Tool} tool
 * @param {string} src
 */
function untimed(group, tool, src) {
  const { cmd, args, env } = tool.command(src, targetOf(group, tool))
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(env ? { env } : {}) })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`)
}

/**
 * Checks that every tool's target equals the source (paths, sizes, whole-second mtimes); a wrong
 * result is flagged in the table, never silently timed.
 * @param {string} scenario
 * @param {string} group
 * @param {readonly Tool[]} list
 * @param {string} src
 */
function verify(scenario, group, list, src) {
  const expected = listTree(src)
  for (const tool of list) {
    const diff = treeDifference(expected, listTree(targetOf(group, tool)))
    if (diff !== undefined) {
      resultOf(scenario, tool).wrong = diff
      log(`WRONG RESULT: ${tool.name} in ${scenario}: ${diff}`)
    }
  }
}

/**
 * One syncflow run under the V8 CPU profiler (not timed); prints where the time goes.
 * @param {string} scenario
 * @param {string} group
 * @param {string} src
 * @param {{ fresh?: boolean }} [o] `fresh`: into an empty target (an initial sync)
 */
function profile(scenario, group, src, o = {}) {
  if (!flags.profile) return
  const sf = toolList.find((t) => t.name === 'syncflow')
  if (!sf) return
  if (o.fresh) resetTarget(group, sf)
  settle()
  const name = `${scenario}.cpuprofile`
  const { cmd, args, env } = sf.command(src, targetOf(group, sf))
  const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', name]
  mkdirSync(profileDir, { recursive: true })
  const r = spawnSync(cmd, [...nodeArgs, ...args], { stdio: ['ignore', 'ignore', 'inherit'], ...(env ? { env } : {}) })
  if (r.status !== 0) throw new Error(`profiled run failed (${r.status})`)
  const summary = summarizeCpuProfile(path.join(profileDir, name), { top: 20, root: REPO })
  profiles.push({ scenario, summary })
  log(`profile of syncflow, ${scenario}:\n${summary}`)
}
/** @type {{ scenario: string, summary: string }[]} */
const profiles = []

/**
 * The small-files scenarios on one tree: initial sync, no-op re-sync, 1% changed, 1% deleted.
 * @param {{ group: string, files: number, dirs: number, initial: boolean, initialReps: number, noop: boolean, change: boolean, del: boolean, label: string, tools?: readonly string[] }} o
 */
function smallTreeScenarios(o) {
  const src = path.join(data, `src-${o.group}`)
  log(`generating ${o.files} files in ${o.dirs} directories (${o.group})`)
  const specs = smallFilesTree({ files: o.files, dirs: o.dirs, seed: deriveSeed(SEED, o.files) })
  writeTree(src, specs)
  log(`${(totalBytes(specs) / 2 ** 20).toFixed(1)} MiB generated`)
  const syncTools = toolList.filter((t) => !t.initialOnly && (o.tools === undefined || o.tools.includes(t.name)))
  const initialTools = o.initial ? toolList.filter((t) => o.tools === undefined || o.tools.includes(t.name)) : syncTools

  const initial = `initial sync, ${o.label}`
  for (let rep = 0; rep < (o.initial ? o.initialReps : 1); rep++) {
    for (const tool of rotate(initialTools, rep)) {
      resetTarget(o.group, tool)
      if (o.initial) log(`${initial}: ${tool.name} ${fmt(timed(initial, o.group, tool, src).wallS, 2, ' s')}`)
      else untimed(o.group, tool, src)
    }
  }
  if (o.initial) {
    verify(initial, o.group, initialTools, src)
    profile(initial, o.group, src, { fresh: true })
    for (const tool of initialTools.filter((t) => t.initialOnly)) resetTarget(o.group, tool)
  }

  if (o.noop) {
    const noop = `no-op re-sync, ${o.label}`
    for (let rep = 0; rep < reps; rep++) {
      for (const tool of rotate(syncTools, rep)) {
        log(`${noop}: ${tool.name} ${fmt(timed(noop, o.group, tool, src).wallS, 3, ' s')}`)
      }
    }
    verify(noop, o.group, syncTools, src)
    profile(noop, o.group, src)
  }

  if (o.change) {
    const change = `re-sync after changing 1%, ${o.label}`
    for (let rep = 0; rep < reps; rep++) {
      changeSome(src, specs, 0.01, deriveSeed(SEED, o.files, 1, rep))
      for (const tool of rotate(syncTools, rep)) {
        log(`${change}: ${tool.name} ${fmt(timed(change, o.group, tool, src).wallS, 3, ' s')}`)
      }
    }
    verify(change, o.group, syncTools, src)
  }

  if (o.del) {
    const del = `re-sync after deleting 1%, ${o.label}`
    for (let rep = 0; rep < reps; rep++) {
      const deleted = deleteSome(src, specs, 0.01, deriveSeed(SEED, o.files, 2, rep))
      for (const tool of rotate(syncTools, rep)) {
        log(`${del}: ${tool.name} ${fmt(timed(del, o.group, tool, src).wallS, 3, ' s')}`)
      }
      verify(del, o.group, syncTools, src)
      // Put them back (and in every target) so that each repetition deletes 1% of the full tree.
      writeTree(src, deleted)
      for (const tool of syncTools) untimed(o.group, tool, src)
    }
  }
  if (!flags.keep) {
    rmSync(src, { recursive: true, force: true })
    for (const tool of toolList) resetTarget(o.group, tool)
  }
}

/**
 * The mixed tree: initial sync and no-op re-sync (`timedInitial`); then, with `rename`, re-syncs after
 * its media/ directory (448 MiB in 7 files; 56 MiB with --quick) is renamed to video/ and back, alternately: a new name
 * that sorts after the old one, then one that sorts before it.
 * @param {{ timedInitial: boolean, rename: boolean }} o
 */
function mixedScenarios(o) {
  const group = 'mixed'
  const src = path.join(data, 'src-mixed')
  const specs = mixedTree({ seed: deriveSeed(SEED, 3), maxBytes: MIXED_MAX })
  log(`generating the mixed tree (${specs.length} files, ${(totalBytes(specs) / 2 ** 20).toFixed(0)} MiB)`)
  writeTree(src, specs)
  const label = `mixed tree (${specs.length} files, ${(totalBytes(specs) / 2 ** 20).toFixed(0)} MiB, up to ${MIXED_MAX / 2 ** 20} MiB)`
  const initial = `initial sync, ${label}`
  const syncTools = toolList.filter((t) => !t.initialOnly)
  if (o.timedInitial) {
    for (let rep = 0; rep < bigReps; rep++) {
      for (const tool of rotate(toolList, rep)) {
        resetTarget(group, tool)
        log(`${initial}: ${tool.name} ${fmt(timed(initial, group, tool, src).wallS, 2, ' s')}`)
      }
    }
    verify(initial, group, toolList, src)
    profile(initial, group, src, { fresh: true })
    const noop = `no-op re-sync, ${label}`
    for (let rep = 0; rep < reps; rep++) {
      for (const tool of rotate(syncTools, rep)) {
        log(`${noop}: ${tool.name} ${fmt(timed(noop, group, tool, src).wallS, 3, ' s')}`)
      }
    }
  } else {
    for (const tool of syncTools) {
      resetTarget(group, tool)
      untimed(group, tool, src)
    }
  }
  if (o.rename) {
    const media = specs.filter((f) => f.path.startsWith('media/'))
    const renamed = `re-sync after renaming media/ (${(totalBytes(media) / 2 ** 20).toFixed(0)} MiB in ${media.length} files), ${label}`
    for (let rep = 0; rep < reps; rep++) {
      const [from, to] = rep % 2 === 0 ? ['media', 'video'] : ['video', 'media']
      renameSync(path.join(src, from), path.join(src, to))
      for (const tool of rotate(syncTools, rep)) {
        log(`${renamed}: ${tool.name} ${fmt(timed(renamed, group, tool, src).wallS, 3, ' s')}`)
      }
      verify(renamed, group, syncTools, src)
    }
  }
  if (!flags.keep) {
    rmSync(src, { recursive: true, force: true })
    for (const tool of toolList) resetTarget(group, tool)
  }
}

const smallLabel = `${SMALL.files.toLocaleString('en')} files in ${SMALL.dirs} dirs`
const largeLabel = `${LARGE.files.toLocaleString('en')} files in ${LARGE.dirs} dirs`
if (['initial', 'noop', 'change', 'delete'].some((s) => only.has(s))) {
  smallTreeScenarios({
    group: 'small',
    ...SMALL,
    label: smallLabel,
    initial: only.has('initial'),
    initialReps: reps,
    noop: only.has('noop'),
    change: only.has('change'),
    del: only.has('delete'),
  })
}
if (only.has('mixed') || only.has('rename')) {
  mixedScenarios({ timedInitial: only.has('mixed'), rename: only.has('rename') })
}
/**
 * Snapshot backups (rsync's --link-dest): a first snapshot of the small tree copied whole (not
 * timed), then, per repetition, 1% of the files rewritten and a new snapshot made beside the last
 * one with `--link-dest ../<last>`: its unchanged files hard links, the changed ones copied. Only
 * the tools that have the flag (syncflow, rsync, rsync --fsync).
 */
function snapshotScenario() {
  const group = 'snap'
  const src = path.join(data, `src-${group}`)
  const specs = smallFilesTree({ files: SMALL.files, dirs: SMALL.dirs, seed: deriveSeed(SEED, SMALL.files, 7) })
  writeTree(src, specs)
  const scenario = `snapshot after changing 1% (--link-dest), ${smallLabel}`
  const linking = toolList.filter((t) => t.name === 'syncflow' || t.name.startsWith('rsync'))
  /** The tool's sync into snapshot `n`, linking from snapshot `n - 1`. */
  const command = (/** @type {Tool} */ tool, /** @type {number} */ n) => {
    const dir = path.join(targetOf(group, tool), `day${n}`)
    const c = tool.command(src, dir)
    if (n === 0) return c
    const link = `../day${n - 1}`
    // (rsync's options before its two paths.)
    const args =
      tool.name === 'syncflow'
        ? [...c.args, '--link-dest', link]
        : [...c.args.slice(0, -2), `--link-dest=${link}`, ...c.args.slice(-2)]
    return { ...c, args }
  }
  for (const tool of linking) {
    resetTarget(group, tool)
    // (rsync makes the last directory of a target only: the snapshots' parent is made here.)
    mkdirSync(targetOf(group, tool), { recursive: true })
    const { cmd, args, env } = command(tool, 0)
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(env ? { env } : {}) })
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`)
  }
  for (let rep = 0; rep < reps; rep++) {
    changeSome(src, specs, 0.01, deriveSeed(SEED, SMALL.files, 8, rep))
    for (const tool of rotate(linking, rep)) {
      const { cmd, args, env } = command(tool, rep + 1)
      settle()
      const m = measure(cmd, args, env ? { env } : {})
      resultOf(scenario, tool).runs.push(m)
      log(`${scenario}: ${tool.name} ${fmt(m.wallS, 3, ' s')}`)
    }
  }
  // Every snapshot the tree as it was, and the last one's unchanged files links into the one before.
  const expected = listTree(src)
  for (const tool of linking) {
    const last = path.join(targetOf(group, tool), `day${reps}`)
    const diff = treeDifference(expected, listTree(last))
    if (diff !== undefined) {
      resultOf(scenario, tool).wrong = diff
      log(`WRONG RESULT: ${tool.name} in ${scenario}: ${diff}`)
    }
    const shared = specs.filter((f) => statSync(path.join(last, f.path)).nlink > 1).length
    log(`${scenario}: ${tool.name}: ${shared} of ${specs.length} files in the last snapshot are hard links`)
  }
  if (!flags.keep) {
    rmSync(src, { recursive: true, force: true })
    for (const tool of linking) resetTarget(group, tool)
  }
}
if (only.has('snapshot')) snapshotScenario()

/**
 * Moves (syncflow move, rsync --remove-source-files, rclone move): per repetition and tool, the
 * small tree written afresh (not timed) into the tool's own source, then moved into its emptied
 * target on the same file system. rclone renames there (the whole directory at once when the target
 * does not exist yet: no copy); syncflow and rsync copy and then delete the source's files (syncflow
 * once the copies are durable).
 */
function moveScenario() {
  const group = 'move'
  const specs = smallFilesTree({ files: SMALL.files, dirs: SMALL.dirs, seed: deriveSeed(SEED, SMALL.files, 9) })
  const ref = path.join(data, 'src-move-ref')
  writeTree(ref, specs)
  const expected = listTree(ref)
  const scenario = `move (source files removed), ${smallLabel}`
  const moving = toolList.filter((t) => ['syncflow', 'rsync', 'rclone'].includes(t.name))
  const sourceOf = (/** @type {Tool} */ tool) => path.join(data, `src-move-${tool.name}`)
  const command = (/** @type {Tool} */ tool) => {
    const src = sourceOf(tool)
    const dst = targetOf(group, tool)
    const c = tool.command(src, dst)
    if (tool.name === 'syncflow') return { ...c, args: c.args.map((a) => (a === 'sync' ? 'move' : a)) }
    if (tool.name === 'rsync') return { ...c, args: ['-a', '--remove-source-files', `${src}/`, `${dst}/`] }
    return { ...c, args: c.args.map((a) => (a === 'sync' ? 'move' : a)) }
  }
  for (let rep = 0; rep < reps; rep++) {
    for (const tool of rotate(moving, rep)) {
      rmSync(sourceOf(tool), { recursive: true, force: true })
      writeTree(sourceOf(tool), specs)
      resetTarget(group, tool)
      const { cmd, args, env } = command(tool)
      settle()
      const m = measure(cmd, args, env ? { env } : {})
      resultOf(scenario, tool).runs.push(m)
      log(`${scenario}: ${tool.name} ${fmt(m.wallS, 3, ' s')}`)
      const diff = treeDifference(expected, listTree(targetOf(group, tool)))
      // (rclone moves a whole directory with one rename where the target does not exist yet: no source left.)
      const left = existsSync(sourceOf(tool)) ? listTree(sourceOf(tool)).size : 0
      if (diff !== undefined || left > 0) {
        resultOf(scenario, tool).wrong = diff ?? `${left} files left in the source`
        log(`WRONG RESULT: ${tool.name} in ${scenario}: ${resultOf(scenario, tool).wrong}`)
      }
    }
  }
  if (!flags.keep) {
    rmSync(ref, { recursive: true, force: true })
    for (const tool of moving) {
      rmSync(sourceOf(tool), { recursive: true, force: true })
      resetTarget(group, tool)
    }
  }
}
if (only.has('move')) moveScenario()

if (only.has('large')) {
  smallTreeScenarios({
    group: 'large',
    ...LARGE,
    label: largeLabel,
    initial: true,
    initialReps: 1,
    noop: true,
    change: false,
    del: false,
    // The big tree's initial sync is run once, for information: the peers that matter only.
    tools: ['syncflow', 'rsync', 'rclone'],
  })
}

// ---- report ----
const MiB = 1024
const rows = []
for (const scenario of [...new Set(results.map((r) => r.scenario))]) {
  const base = results.find((r) => r.scenario === scenario && r.tool === 'rsync')
  const baseWall = median(base?.runs.map((m) => m.wallS) ?? [])
  const baseCpu = median(base?.runs.map((m) => m.cpuS) ?? [])
  const baseRss = median(base?.runs.map((m) => m.maxRssKiB) ?? [])
  for (const r of results.filter((x) => x.scenario === scenario)) {
    const wall = median(r.runs.map((m) => m.wallS))
    const cpu = median(r.runs.map((m) => m.cpuS))
    const rss = median(r.runs.map((m) => m.maxRssKiB))
    rows.push([
      scenario,
      `${r.tool}${r.wrong ? ' (WRONG RESULT)' : ''}`,
      String(r.runs.length),
      fmt(wall, wall !== undefined && wall < 1 ? 3 : 2),
      `${fmt(cpu, 2)} (${fmt(median(r.runs.map((m) => m.userS)), 2)} / ${fmt(median(r.runs.map((m) => m.sysS)), 2)})`,
      fmt(rss === undefined ? undefined : rss / MiB, 0),
      fmt(ratio(wall, baseWall), 2, '×'),
      fmt(ratio(cpu, baseCpu), 2, '×'),
      fmt(ratio(rss, baseRss), 2, '×'),
    ])
  }
}
const table = markdownTable(
  [
    'scenario',
    'tool',
    'runs',
    'wall s',
    'CPU s (user / sys)',
    'peak RSS MiB',
    'wall ÷ rsync',
    'CPU ÷ rsync',
    'RSS ÷ rsync',
  ],
  rows,
)

/**
 * The median of one figure of one tool in one scenario.
 * @param {string} scenario
 * @param {string} tool
 * @param {'wallS' | 'cpuS' | 'maxRssKiB'} key
 */
const med = (scenario, tool, key) =>
  median(results.find((r) => r.scenario === scenario && r.tool === tool)?.runs.map((m) => m[key]) ?? [])
/**
 * @param {number | undefined} v
 * @param {number} limit
 * @param {boolean} strict
 */
const verdict = (v, limit, strict) =>
  v === undefined ? 'not measured' : (strict ? v < limit : v <= limit) ? 'met' : 'MISSED'
const initialRatio = ratio(
  med(`initial sync, ${smallLabel}`, 'syncflow', 'wallS'),
  med(`initial sync, ${smallLabel}`, 'rsync', 'wallS'),
)
const noopRatio = ratio(
  med(`no-op re-sync, ${smallLabel}`, 'syncflow', 'wallS'),
  med(`no-op re-sync, ${smallLabel}`, 'rsync', 'wallS'),
)
const memRatio = ratio(
  med(`no-op re-sync, ${largeLabel}`, 'syncflow', 'maxRssKiB'),
  med(`no-op re-sync, ${smallLabel}`, 'syncflow', 'maxRssKiB'),
)
const memRatioInitial = ratio(
  med(`initial sync, ${largeLabel}`, 'syncflow', 'maxRssKiB'),
  med(`initial sync, ${smallLabel}`, 'syncflow', 'maxRssKiB'),
)
const k = (/** @type {number} */ n) => (n >= 1000 ? `${n / 1000}k` : String(n))
const targets = markdownTable(
  ['target', 'measured', 'verdict'],
  [
    [
      `initial sync (${k(SMALL.files)}) faster than rsync: wall ÷ rsync < 1`,
      fmt(initialRatio, 2, '×'),
      verdict(initialRatio, 1, true),
    ],
    [
      `no-op re-sync (${k(SMALL.files)}) within 1.5× rsync: wall ÷ rsync ≤ 1.5`,
      fmt(noopRatio, 2, '×'),
      verdict(noopRatio, 1.5, false),
    ],
    [
      `peak memory flat: no-op RSS ${k(LARGE.files)} ÷ ${k(SMALL.files)} ≤ 1.3`,
      fmt(memRatio, 2, '×'),
      verdict(memRatio, 1.3, false),
    ],
    [`(for information) initial-sync RSS ${k(LARGE.files)} ÷ ${k(SMALL.files)}`, fmt(memRatioInitial, 2, '×'), ''],
  ],
)

/**
 * Median wall time of `node -e 0` over `n` runs, in ms: the floor under any Node CLI's figures,
 * which rsync does not pay. `env` replaces the environment (to show what a variable costs).
 * @param {NodeJS.ProcessEnv} env
 */
function nodeStartMs(env, n = 9) {
  const times = []
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint()
    spawnSync(process.execPath, ['-e', '0'], { env })
    times.push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
  return median(times)
}
// NODE_EXTRA_CA_CERTS (set on some machines for a proxy) makes every Node process read and parse
// that bundle at startup, before any JavaScript runs: ~40 ms on the project's VMs.
const extraCa = process.env.NODE_EXTRA_CA_CERTS
const { NODE_EXTRA_CA_CERTS: _omitted, ...envWithoutExtraCa } = process.env
const nodeStart = `- Node startup (\`node -e 0\`, median of 9): ${fmt(nodeStartMs(process.env), 0)} ms${
  extraCa
    ? ` with NODE_EXTRA_CA_CERTS=${extraCa} as set here, ${fmt(nodeStartMs(envWithoutExtraCa), 0)} ms without it`
    : ''
}`

const fsInfo = spawnSync('findmnt', ['-no', 'FSTYPE,SOURCE', '--target', data], { encoding: 'utf8' }).stdout.trim()
const fsStat = statfsSync(data)
const machine = [
  `- date: ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC; ${((Date.now() - started.getTime()) / 60000).toFixed(1)} min`,
  `- machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, nproc ${os.availableParallelism()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}`,
  `- disk: ${fsInfo || 'unknown'} (${((fsStat.blocks * fsStat.bsize) / 2 ** 30).toFixed(0)} GiB), data in ${path.relative(REPO, data) || data}`,
  `- load average before/after: ${loadBefore.map((l) => l.toFixed(2)).join(' ')} / ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
  nodeStart,
  `- tools: ${toolList.map((t) => `${t.name}: ${t.version}`).join('; ')}`,
  `- repetitions: ${reps} (${bigReps} for the mixed tree's initial sync, 1 for the ${LARGE.files.toLocaleString('en')}-file initial sync); medians; tools in rotated order; \`sync\` before each run; warm page cache for every tool${quick ? '; QUICK mode (smaller trees)' : ''}`,
].join('\n')

const report = [
  '### Machine',
  '',
  machine,
  '',
  '### Results',
  '',
  table,
  '',
  '### Targets (syncflow)',
  '',
  targets,
  ...(profiles.length > 0 ? ['', '### CPU profiles (syncflow)', ''] : []),
  ...profiles.flatMap((p) => [`${p.scenario}:`, '', '```', p.summary, '```', '']),
].join('\n')
writeFileSync(path.join(data, 'results.md'), `${report}\n`)
writeFileSync(path.join(data, 'results.json'), `${JSON.stringify({ started, results, profiles }, null, 1)}\n`)
process.stdout.write(`${report}\n`)
if (!flags.keep) {
  for (const name of readdirSync(data))
    if (name.startsWith('dst-') || name.startsWith('src-'))
      rmSync(path.join(data, name), { recursive: true, force: true })
}
log(`results in ${path.relative(REPO, data)}/results.md and results.json`)
