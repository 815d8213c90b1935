#!/usr/bin/env node
// @ts-check
// Continuous-sync and UI benchmarks (issue 6), local directory → local directory. Not a test:
// nothing is asserted; targets are printed beside the figures. See bench/watch/README.md.
//
//   node bench/watch/run.mjs [--only latency,burst,ui] [--writes 200] [--files 10000] [--reps 3]
//                            [--quick] [--data DIR] [--keep] [--no-build] [--ui-fs tmpfs|disk|both]
//                            [--burst-fs disk|tmpfs|both] [--bin PATH] [--node-args '--flag …']

import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { badFlag, checkDataDir, parseFlags, resetDataDir, wholeFlag } from '../lib/flags.mjs'
import { fmt, markdownTable, median } from '../lib/stats.mjs'
import { REPO, SYNCFLOW_BIN } from '../lib/tools.mjs'
import { listTree, smallFilesTree, treeDifference, writeTree } from '../lib/tree.mjs'
import { startWatch } from './watch-process.mjs'

const SCENARIOS = ['latency', 'burst', 'ui']
const flags = parseFlags('node bench/watch/run.mjs', {
  only: { type: 'string', default: SCENARIOS.join(',') },
  writes: { type: 'string', default: '200' },
  files: { type: 'string', default: '10000' },
  reps: { type: 'string', default: '3' },
  quick: { type: 'boolean', default: false },
  data: { type: 'string', default: path.join(REPO, '.bench-data', 'watch') },
  keep: { type: 'boolean', default: false },
  'no-build': { type: 'boolean', default: false },
  'ui-fs': { type: 'string', default: 'both' },
  'burst-fs': { type: 'string', default: 'disk' },
  bin: { type: 'string' },
  'node-args': { type: 'string', default: '' },
})
const quick = flags.quick === true
const only = new Set(String(flags.only).split(','))
const DATA = String(flags.data)
checkDataDir(path.resolve(DATA), path.join(REPO, '.bench-data', 'watch'))
// An unknown name was skipped without a word (`--only burts`: nothing measured, exit 0).
for (const s of only)
  if (!SCENARIOS.includes(s)) badFlag(`--only: unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`)
const WRITES = quick ? 50 : wholeFlag(flags, 'writes')
const FILES = quick ? 2000 : wholeFlag(flags, 'files')
const REPS = quick ? 1 : wholeFlag(flags, 'reps')
const SEED = 20240606

if (!flags['no-build']) {
  // The binary is the bundle (scripts/bundle.mjs) of the TypeScript build: both, as `npm run build` does.
  execFileSync('npx', ['tsc', '-b', 'packages/cli-tui'], { cwd: REPO, stdio: 'inherit' })
  execFileSync(process.execPath, ['packages/cli-tui/scripts/bundle.mjs'], { cwd: REPO, stdio: 'inherit' })
}
/** Node options given to both sides of the UI benchmark (e.g. `--min-semi-space-size=8`: the same young generation). */
const NODE_ARGS = String(flags['node-args'])
/** The binary measured (`--bin`: another build of it, e.g. a copy of an older dist/, for an A/B). */
const BIN = flags.bin ? path.resolve(String(flags.bin)) : SYNCFLOW_BIN
resetDataDir(DATA)
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
  const w = startWatch(src, dst, [], BIN)
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
function timed(
  /** @type {string[]} */ args,
  /** @type {NodeJS.ProcessEnv} */ env = { ...process.env, SYNCFLOW_STATE_DIR: path.join(DATA, 'state') },
) {
  const t0 = performance.now()
  const r = spawnSync(args[0] ?? '', args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env })
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr}`)
  return performance.now() - t0
}

/**
 * A burst (tar -x of FILES files into a watched SRC) against a one-shot sync of the same tree, on
 * disk (what users see; fsync and writeback dominate) or tmpfs (the engine's own cost).
 * @param {{ tree: string, tar: string }} a
 * @param {'disk' | 'tmpfs'} fs
 */
async function burst(a, fs) {
  const base = fs === 'tmpfs' ? path.join('/dev/shm', `syncflow-bench-burst-${process.pid}`) : DATA
  const dir = (/** @type {string} */ name) => {
    const d = path.join(base, name)
    rmSync(d, { recursive: true, force: true })
    mkdirSync(d, { recursive: true })
    return d
  }
  /** @type {number[]} */
  const oneShot = []
  /** @type {number[]} */
  const absorb = []
  /** @type {number[]} */
  const untar = []
  /** @type {number[]} */
  const cycles = []
  /** @type {number[]} */
  const after = []
  /** @type {number[]} */
  const untarThenSync = []
  const expected = listTree(a.tree)
  // No tree is deleted until the series is over, and each repetition writes into directories of
  // its own: ext4 passes over the inodes freed in the last minute or more when it allocates new
  // ones, so a `tar -x` of these 10,000 files right after 20,000 were deleted took 2.6 s of system
  // time against 0.23 s on a quiet disk. The series deleted the previous phase's trees just before
  // the watched phase (and not before the one-shot), which charged the watch with ext4's scan.
  // The three phases also run in a rotated order, so that none is always first after a deletion
  // made before the series or always last.
  const made = []
  const fresh = (/** @type {string} */ name, /** @type {number} */ rep) => {
    const d = dir(`${name}-${rep}`)
    made.push(d)
    return d
  }
  for (let rep = 0; rep < REPS; rep++) {
    const oneShotPhase = () => {
      const dst1 = fresh('burst-oneshot-dst', rep)
      // As in bench/local: no run pays for the previous one's dirty pages.
      spawnSync('sync')
      // With --json, as the watch below runs (its NDJSON is how the end of the burst is seen).
      oneShot.push(
        timed(['sh', '-c', `"${process.execPath}" "${BIN}" sync "${a.tree}" "${dst1}" --no-state --json > /dev/null`]),
      )
    }
    // The other way to get there: unpack (nobody watching), then one sync at once (whose fsyncs
    // also flush what tar left in the page cache, as the watch's do).
    const plainPhase = () => {
      const plain = fresh('burst-plain', rep)
      const dst2 = fresh('burst-plain-dst', rep)
      spawnSync('sync')
      untarThenSync.push(
        timed([
          'sh',
          '-c',
          `tar -xf "${a.tar}" -C "${plain}" && "${process.execPath}" "${BIN}" sync "${plain}" "${dst2}" --no-state --json > /dev/null`,
        ]),
      )
    }
    const watchedPhase = async () => {
      const src = fresh('burst-src', rep)
      const dst = fresh('burst-dst', rep)
      // Its NDJSON goes to a file on tmpfs, events timed by their own `ts` (see startWatch).
      const out = path.join(existsSync('/dev/shm') ? '/dev/shm' : base, `syncflow-bench-burst-${process.pid}.ndjson`)
      const w = startWatch(src, dst, [], BIN, { out })
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
      spawnSync('sync')
      const t0 = performance.now()
      const tarMs = timed(['tar', '-xf', a.tar, '-C', src])
      untar.push(tarMs)
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
      after.push(last - t0 - tarMs)
      await w.stop()
      rmSync(out, { force: true })
      cycles.push(dones)
      const wrong = treeDifference(expected, listTree(dst))
      if (wrong) throw new Error(`burst: DST differs from SRC: ${wrong}`)
    }
    const phases = [oneShotPhase, plainPhase, watchedPhase]
    for (let i = 0; i < phases.length; i++) await phases[(i + rep) % phases.length]?.()
  }
  for (const d of made) rmSync(d, { recursive: true, force: true })
  if (fs === 'tmpfs') rmSync(base, { recursive: true, force: true })
  // Medians of the ratios within each repetition (its baselines were measured just before it, so
  // the load of a shared machine, which drifts, weighs on both alike).
  const perRep = (/** @type {number[]} */ xs, /** @type {number[]} */ base) =>
    median(xs.map((x, i) => x / (base[i] || 1))) ?? 0
  const ratio = perRep(absorb, untarThenSync)
  const ratioAfter = perRep(after, oneShot)
  report.push(
    `### Burst: ${FILES.toLocaleString('en-US')} files unpacked (tar -x) into a watched SRC vs a one-shot sync, on ${fs} (median of ${REPS})\n`,
    markdownTable(
      [
        'one-shot `sync`',
        'tar -x, then `sync`',
        'tar -x watched',
        'tar end → last file complete',
        'ratio to one-shot (median of the ratios)',
        'tar start → last file complete',
        'ratio to tar, then sync (median of the ratios)',
        'cycles',
        'target',
      ],
      [
        [
          fmt((median(oneShot) ?? 0) / 1000, 2, ' s'),
          fmt((median(untarThenSync) ?? 0) / 1000, 2, ' s'),
          fmt((median(untar) ?? 0) / 1000, 2, ' s'),
          fmt((median(after) ?? 0) / 1000, 2, ' s'),
          fmt(ratioAfter, 2, '×'),
          fmt((median(absorb) ?? 0) / 1000, 2, ' s'),
          fmt(ratio, 2, '×'),
          String(median(cycles)),
          `≤ 1.3× ${ratioAfter <= 1.3 && ratio <= 1.3 ? '✓' : '✗'} (both)`,
        ],
      ],
    ),
    '',
  )
}

/**
 * Runs `cmd args` under GNU time (wall, user, sys seconds written to `out`), through `sh -c` so
 * stdout can go to /dev/null; inside tmux for the UI.
 * @param {string} shellCommand
 * @param {string} out
 */
const gnuTime = (shellCommand, out) => `/usr/bin/time -o "${out}" -f "%e %U %S" ${shellCommand}`
/** @param {string} file */
const readTimes = (file) => {
  const [wall, user, sys] = readFileSync(file, 'utf8').trim().split('\n').at(-1)?.split(' ').map(Number) ?? []
  return { wall: (wall ?? 0) * 1000, cpu: ((user ?? 0) + (sys ?? 0)) * 1000 }
}

/**
 * `syncflow ui` in an 80x24 tmux terminal against `sync --json > /dev/null`, same tree, on tmpfs
 * (no fsync: the UI's own cost shows, undiluted) or on disk (what users see; noisier on a shared VM).
 */
function uiOverhead(/** @type {{ tree: string }} */ a, /** @type {'tmpfs' | 'disk'} */ fs) {
  const hasTmux = spawnSync('tmux', ['-V']).status === 0
  const hasTime = spawnSync('/usr/bin/time', ['-f', '%e', 'true']).status === 0
  if (!hasTmux || !hasTime) {
    report.push(
      `### UI overhead\n\nskipped: ${hasTmux ? 'GNU time' : 'tmux'} is not installed (apt-get install ${hasTmux ? 'time' : 'tmux'})\n`,
    )
    return
  }
  // On tmpfs where asked (and there is one), else in the scratch directory (on disk).
  const shm = '/dev/shm'
  const base =
    fs === 'tmpfs' && existsSync(shm) ? path.join(shm, `syncflow-bench-ui-${process.pid}`) : path.join(DATA, 'ui')
  rmSync(base, { recursive: true, force: true })
  mkdirSync(base, { recursive: true })
  const tree = path.join(base, 'tree')
  execFileSync('cp', ['-a', a.tree, tree])
  const state = path.join(base, 'state')
  /** @type {{ wall: number, cpu: number }[]} */
  const json = []
  /** @type {{ wall: number, cpu: number }[]} */
  const ui = []
  const timeFile = path.join(base, 'time.txt')
  const runJson = () => {
    const dst1 = path.join(base, 'json-dst')
    rmSync(dst1, { recursive: true, force: true })
    spawnSync('sync')
    execFileSync('sh', [
      '-c',
      `SYNCFLOW_STATE_DIR="${state}" ${gnuTime(`"${process.execPath}" ${NODE_ARGS} "${BIN}" sync "${tree}" "${dst1}" --json --no-state`, timeFile)} > /dev/null`,
    ])
    json.push(readTimes(timeFile))
    rmSync(dst1, { recursive: true, force: true })
  }
  const runUi = () => {
    const dst2 = path.join(base, 'ui-dst')
    rmSync(dst2, { recursive: true, force: true })
    spawnSync('sync')
    const session = `sf-bench-${process.pid}`
    // The UI runs in a real 80x24 terminal.
    const inner = `SYNCFLOW_STATE_DIR="${state}" ${gnuTime(`"${process.execPath}" ${NODE_ARGS} "${BIN}" ui "${tree}" "${dst2}" --no-state`, timeFile)}; tmux wait-for -S ${session}`
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '80', '-y', '24', inner])
    execFileSync('tmux', ['wait-for', session])
    spawnSync('tmux', ['kill-session', '-t', session])
    ui.push(readTimes(timeFile))
    const wrong = treeDifference(listTree(tree), listTree(dst2))
    if (wrong) throw new Error(`ui: DST differs from SRC: ${wrong}`)
    rmSync(dst2, { recursive: true, force: true })
  }
  try {
    // Each repetition runs both, one right after the other, the first one alternating: the load of
    // a shared machine drifts over seconds, so the ratio within a repetition is what is compared.
    for (let rep = 0; rep < REPS; rep++) {
      if (rep % 2 === 0) {
        runJson()
        runUi()
      } else {
        runUi()
        runJson()
      }
    }
  } finally {
    rmSync(base, { recursive: true, force: true })
  }
  const each = (/** @type {{ wall: number, cpu: number }[]} */ xs) =>
    xs.map((x) => `${(x.wall / 1000).toFixed(2)}/${(x.cpu / 1000).toFixed(2)}`).join(' ')
  const wall = (/** @type {{ wall: number }[]} */ xs) => median(xs.map((x) => x.wall)) ?? 0
  const cpu = (/** @type {{ cpu: number }[]} */ xs) => median(xs.map((x) => x.cpu)) ?? 0
  /** Median over the repetitions of ui / json. */
  const ratio = (/** @type {(x: { wall: number, cpu: number }) => number} */ of) =>
    median(ui.map((u, i) => of(u) / (of(json[i] ?? u) || 1))) ?? 1
  const overhead = ratio((x) => x.wall) - 1
  report.push(
    `### UI overhead: sync of ${FILES.toLocaleString('en-US')} small files on ${fs} (median of ${REPS})\n`,
    markdownTable(
      ['', '`sync --json > /dev/null`', '`ui` (tmux 80x24)', 'overhead (median of the ratios)', 'target'],
      [
        [
          'wall',
          fmt(wall(json) / 1000, 2, ' s'),
          fmt(wall(ui) / 1000, 2, ' s'),
          fmt(overhead * 100, 1, '%'),
          `≤ 10% ${overhead <= 0.1 ? '✓' : '✗'}`,
        ],
        ['each run (wall/CPU s)', each(json), each(ui), '', ''],
        [
          'CPU (user + sys, all threads)',
          fmt(cpu(json) / 1000, 2, ' s'),
          fmt(cpu(ui) / 1000, 2, ' s'),
          fmt((ratio((x) => x.cpu) - 1) * 100, 1, '%'),
          '',
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
  if (only.has('burst')) {
    const where = String(flags['burst-fs'])
    if (where !== 'tmpfs') await burst(archive, 'disk')
    if (where !== 'disk') await burst(archive, 'tmpfs')
  }
  if (only.has('ui')) {
    const where = String(flags['ui-fs'])
    if (where !== 'disk') uiOverhead(archive, 'tmpfs')
    if (where !== 'tmpfs') uiOverhead(archive, 'disk')
  }
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
    'burst-plain',
    'burst-plain-dst',
    'ui-json-dst',
    'ui-dst',
  ]) {
    rmSync(path.join(DATA, d), { recursive: true, force: true })
  }
}
