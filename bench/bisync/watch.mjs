#!/usr/bin/env node
// @ts-check
// Continuous two-way sync benchmark: `syncflow watch A B --bisync` against `unison A B -repeat 1`
// (Unison's continuous mode; its `-repeat watch` needs unison-fsmonitor, which Debian's package
// lacks, so it rescans every second) on the same tree of local directories, one tool at a time.
// Measured: the latency of a write on one side until the other side holds it (files written one
// at a time, alternating sides), a burst of new files on one side until all are on the other, and
// the CPU each tool uses while nothing changes. Not a test: nothing is asserted. See bench/README.md.
//
//   node bench/bisync/watch.mjs [--files 10000] [--writes 20] [--burst 1000] [--idle 10] [--quick]
//                               [--data DIR] [--keep] [--no-install] [--no-build]

import { spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { checkDataDir, parseFlags, resetDataDir, wholeFlag } from '../lib/flags.mjs'
import { deriveSeed } from '../lib/prng.mjs'
import { fmt, markdownTable, median, ratio } from '../lib/stats.mjs'
import { REPO, SYNCFLOW_BIN } from '../lib/tools.mjs'
import { listTree, smallFilesTree, treeDifference, writeTree } from '../lib/tree.mjs'

const flags = parseFlags('node bench/bisync/watch.mjs', {
  files: { type: 'string', default: '10000' },
  writes: { type: 'string', default: '20' },
  burst: { type: 'string', default: '1000' },
  idle: { type: 'string', default: '10' },
  quick: { type: 'boolean', default: false },
  data: { type: 'string', default: path.join(REPO, '.bench-data', 'bisync-watch') },
  keep: { type: 'boolean', default: false },
  'no-install': { type: 'boolean', default: false },
  'no-build': { type: 'boolean', default: false },
})
const quick = flags.quick === true
const FILES = quick ? 1000 : wholeFlag(flags, 'files')
const WRITES = quick ? 6 : wholeFlag(flags, 'writes')
const BURST = quick ? 100 : wholeFlag(flags, 'burst')
const IDLE_S = quick ? 3 : wholeFlag(flags, 'idle')
const SEED = 20261207
const data = path.resolve(String(flags.data))
const log = (/** @type {string} */ msg) => process.stderr.write(`bench: ${msg}\n`)
/** How often a side is looked at for the file awaited (the resolution of the latencies). */
const POLL_MS = 2
/** The longest wait for one file or burst: a tool that never delivers is reported, not waited on for ever. */
const TIMEOUT_MS = 120_000
const TICK_S = 1 / 100 // USER_HZ: /proc's CPU times are in these ticks on Linux

checkDataDir(data, path.join(REPO, '.bench-data', 'bisync-watch'))
if (!flags['no-install']) spawnSync('sh', [path.join(REPO, 'bench/install-tools.sh')], { stdio: 'inherit' })
if (!flags['no-build']) {
  const r = spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' })
  if (r.status !== 0) throw new Error('build failed')
}
resetDataDir(data)

/**
 * @typedef {{ name: string, start: (a: string, b: string) => import('node:child_process').ChildProcess }} Tool
 */
/** @type {Tool[]} */
const tools = [
  {
    name: 'syncflow watch --bisync',
    start: (a, b) =>
      spawn(process.execPath, [SYNCFLOW_BIN, 'watch', a, b, '--bisync', '-q'], {
        stdio: 'ignore',
        env: { ...process.env, SYNCFLOW_STATE_DIR: path.join(data, 'state-syncflow') },
      }),
  },
  {
    name: 'unison -repeat 1',
    // Batch mode, no questions, mtimes kept (as syncflow keeps them), its archives in a scratch directory.
    start: (a, b) =>
      spawn('unison', [a, b, '-batch', '-auto', '-times', '-repeat', '1', '-ui', 'text', '-silent'], {
        stdio: 'ignore',
        env: { ...process.env, UNISON: path.join(data, 'unison-home') },
      }),
  },
]
const unisonOk = spawnSync('unison', ['-version'], { encoding: 'utf8' }).status === 0
const toolList = tools.filter((t) => t.name.startsWith('syncflow') || unisonOk)
if (!unisonOk) log('unison is not installed: left out')

/** CPU seconds (user + system) used so far by process `pid`, from /proc. */
function cpuSeconds(/** @type {number} */ pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime, stime, cutime, cstime: fields 14 to 17 of proc(5), 12 to 15 after the name.
  return fields.slice(11, 15).reduce((n, f) => n + Number(f), 0) * TICK_S
}

/** Waits until `file` holds `body` (polled every POLL_MS); resolves with the ms waited, or undefined on timeout. */
async function arrival(/** @type {string} */ file, /** @type {string} */ body, /** @type {number} */ since) {
  while (performance.now() - since < TIMEOUT_MS) {
    try {
      if (readFileSync(file, 'utf8') === body) return performance.now() - since
    } catch {}
    await sleep(POLL_MS)
  }
  return undefined
}

const label = `${FILES.toLocaleString('en')} files in ${Math.max(1, Math.round(FILES / 50))} dirs`
const specs = smallFilesTree({ files: FILES, dirs: Math.max(1, Math.round(FILES / 50)), seed: deriveSeed(SEED, FILES) })
const src = path.join(data, 'src')
writeTree(src, specs)
log(`${label} generated`)

/** @type {{ tool: string, latencies: number[], lost: number, burstS?: number, idleCpuPct: number, wrong?: string }[]} */
const results = []
const loadBefore = os.loadavg()
const started = new Date()
for (const tool of toolList) {
  const slug = tool.name.split(' ')[0]
  const A = path.join(data, `a-${slug}`)
  const B = path.join(data, `b-${slug}`)
  // Both sides start equal (a copy each, mtimes kept): the tool's first pass finds them in step.
  cpSync(src, A, { recursive: true, preserveTimestamps: true })
  cpSync(src, B, { recursive: true, preserveTimestamps: true })
  mkdirSync(path.join(A, 'w'))
  mkdirSync(path.join(B, 'w'))
  spawnSync('sync')
  const child = tool.start(A, B)
  const pid = /** @type {number} */ (child.pid)
  const gone = new Promise((resolve) => child.on('exit', resolve))
  try {
    // Ready once a probe written on A reaches B: the first pass is over and changes are followed.
    const readyAt = performance.now()
    writeFileSync(path.join(A, 'w', 'probe'), 'probe')
    const ready = await arrival(path.join(B, 'w', 'probe'), 'probe', readyAt)
    if (ready === undefined) throw new Error(`${tool.name} never synced its first probe`)
    log(`${tool.name}: ready after ${fmt(ready / 1000, 2, ' s')}`)
    /** @type {number[]} */
    const latencies = []
    let lost = 0
    for (let i = 0; i < WRITES; i++) {
      const [from, to] = i % 2 === 0 ? [A, B] : [B, A]
      const body = `write ${i} from ${from === A ? 'A' : 'B'}\n`
      const at = performance.now()
      writeFileSync(path.join(from, 'w', `f${i}.txt`), body)
      const ms = await arrival(path.join(to, 'w', `f${i}.txt`), body, at)
      if (ms === undefined) lost++
      else latencies.push(ms)
    }
    // A burst of new files on A, until B holds the last one (and then all of them).
    const burstAt = performance.now()
    for (let i = 0; i < BURST; i++) writeFileSync(path.join(A, 'w', `burst-${i}.txt`), `burst ${i}\n`)
    const last = await arrival(path.join(B, 'w', `burst-${BURST - 1}.txt`), `burst ${BURST - 1}\n`, burstAt)
    let burstMs = last
    if (last !== undefined) {
      while (performance.now() - burstAt < TIMEOUT_MS) {
        const diff = treeDifference(listTree(A), listTree(B))
        if (diff === undefined) break
        await sleep(20)
      }
      burstMs = performance.now() - burstAt
    }
    // Idle: nothing changes; the CPU the tool uses meanwhile (after a settling second).
    await sleep(1000)
    const cpu0 = cpuSeconds(pid)
    await sleep(IDLE_S * 1000)
    const idleCpuPct = ((cpuSeconds(pid) - cpu0) / IDLE_S) * 100
    const diff = treeDifference(listTree(A), listTree(B))
    results.push({
      tool: tool.name,
      latencies,
      lost,
      ...(burstMs !== undefined ? { burstS: burstMs / 1000 } : {}),
      idleCpuPct,
      ...(diff !== undefined ? { wrong: diff } : {}),
    })
    log(
      `${tool.name}: write latency median ${fmt(median(latencies), 0, ' ms')}, burst ${fmt((burstMs ?? Number.NaN) / 1000, 2, ' s')}, idle CPU ${fmt(idleCpuPct, 1, '%')}`,
    )
  } finally {
    child.kill('SIGINT')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await gone
    clearTimeout(timer)
  }
}

const loadAfter = os.loadavg()
const p90 = (/** @type {number[]} */ xs) => [...xs].sort((x, y) => x - y)[Math.max(0, Math.ceil(0.9 * xs.length) - 1)]
const peer = results.find((r) => r.tool.startsWith('unison'))
const rows = results.map((r) => {
  const lat = median(r.latencies)
  const peerLat = peer ? median(peer.latencies) : undefined
  return [
    `${r.tool}${r.wrong ? ' (WRONG)' : ''}`,
    `${r.latencies.length}${r.lost ? ` (${r.lost} never arrived)` : ''}`,
    fmt(lat, 0),
    fmt(p90(r.latencies), 0),
    r.burstS === undefined ? 'never' : fmt(r.burstS, 2),
    fmt(r.idleCpuPct, 1),
    peerLat === undefined || r === peer ? '' : `${fmt(ratio(peerLat, lat), 1)}×`,
    peer?.burstS === undefined || r.burstS === undefined || r === peer
      ? ''
      : `${fmt(ratio(peer.burstS, r.burstS), 1)}×`,
  ]
})
const table = markdownTable(
  [
    'tool',
    'writes',
    'latency ms (median)',
    'latency ms (p90)',
    `burst of ${BURST} files, s`,
    'idle CPU %',
    'unison ÷ tool, latency',
    'unison ÷ tool, burst',
  ],
  rows,
)
const head = `continuous two-way benchmark, ${started.toISOString()}, ${label} on both sides, ${os.cpus().length} CPUs, load ${loadBefore
  .map((l) => l.toFixed(2))
  .join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after\n\n`
process.stdout.write(`${head}${table}\n`)
writeFileSync(path.join(data, 'results.md'), `${head}${table}\n`)
writeFileSync(path.join(data, 'results.json'), JSON.stringify({ started, loadBefore, loadAfter, results }, null, 2))
log(`results in ${path.relative(REPO, path.join(data, 'results.md'))}`)
if (!flags.keep)
  for (const d of ['a-syncflow', 'b-syncflow', 'a-unison', 'b-unison', 'src', 'unison-home', 'state-syncflow']) {
    const p = path.join(data, d)
    if (existsSync(p)) rmSync(p, { recursive: true, force: true })
  }
