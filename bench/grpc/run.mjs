#!/usr/bin/env node
// @ts-check
// gRPC delta benchmark: syncflow (`syncflow serve` + a grpc:// sync) against rsync (daemon), both on
// loopback, through the same byte-counting TCP proxy. See bench/grpc/README.md.
//
//   node bench/grpc/run.mjs [--size-mib 1024] [--rename-mib 256] [--runs 3] [--client cli|library] [--server cli|library]
//                           [--bin PATH] [--ab PATH] [--only overwrite,insert,rename,small] [--files 2000]
//
// `cli` runs the built `syncflow` binary (`syncflow sync`, `syncflow serve`); `library` runs
// driver.mjs, the same packages without the CLI (for when a command is not wired yet).
//
// Needs a build (`npm run build`) and rsync (installed from Debian by bench/install-tools.sh when
// missing). Data goes to .bench-data/grpc (about 3 × size + rename size of disk).

import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  closeSync,
  createReadStream,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { readFile } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { badFlag, parseFlags, wholeFlag } from '../lib/flags.mjs'
import { Prng } from '../lib/prng.mjs'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const DATA = path.join(REPO, '.bench-data/grpc')
const HERE = path.dirname(fileURLToPath(import.meta.url))

const SCENARIOS = ['overwrite', 'insert', 'rename', 'small', 'resume']
const flags = parseFlags('node bench/grpc/run.mjs', {
  'size-mib': { type: 'string', default: '1024' },
  'rename-mib': { type: 'string', default: '256' },
  runs: { type: 'string', default: '3' },
  client: { type: 'string', default: 'cli' },
  server: { type: 'string', default: 'cli' },
  bin: { type: 'string', default: path.join(REPO, 'packages/cli-tui/dist/bin.js') },
  ab: { type: 'string' },
  only: { type: 'string', default: SCENARIOS.join(',') },
  files: { type: 'string', default: '2000' },
})
const SIZE = wholeFlag(flags, 'size-mib') * 1024 * 1024
const RENAME = wholeFlag(flags, 'rename-mib') * 1024 * 1024
const RUNS = wholeFlag(flags, 'runs')
const CLIENT = String(flags.client)
const SERVER = String(flags.server)
/** The syncflow binary (both sides): another build to compare against, e.g. an older commit's. */
const BIN = path.resolve(String(flags.bin))
/** A second syncflow binary run in the same rounds (`syncflow-b`, with its own server): an A/B under the same load. */
const AB = typeof flags.ab === 'string' ? path.resolve(flags.ab) : undefined
/** Which scenarios to run (default: all). */
const ONLY = String(flags.only).split(',')
/** Files of the `small` scenario (1-4 KiB each, in 20 directories). */
const FILES = wholeFlag(flags, 'files')
// An unknown name was filtered out without a word: `--only overwrite,insrt` generated 3 GiB of data
// and ran one scenario, `--only nope` none, exit 0.
for (const s of ONLY)
  if (!SCENARIOS.includes(s)) badFlag(`--only: unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`)
const VIA = `client ${CLIENT}, server ${SERVER}${BIN.startsWith(REPO) ? '' : `, binary ${BIN}`}${AB ? `, syncflow-b = ${AB}` : ''}`
const MIB = 1024 * 1024
const T0 = 1_700_000_000 // base mtime (s)
const T1 = 1_700_100_000 // edited mtime (s)

// ---- setup ------------------------------------------------------------------------------------

spawnSync('sh', [path.join(REPO, 'bench/install-tools.sh')], { stdio: 'inherit' })
if (spawnSync('rsync', ['--version']).status !== 0) {
  console.error('bench/grpc: rsync is not installed')
  process.exit(1)
}
for (const f of ['packages/backend-grpc/dist/index.js', 'packages/core/dist/index.js']) {
  if (!existsSync(path.join(REPO, f))) {
    console.error(`bench/grpc: ${f} missing: run npm run build first`)
    process.exit(1)
  }
}
mkdirSync(DATA, { recursive: true })

/** Writes `size` pseudo-random bytes (seeded), 1 MiB at a time. */
function generate(file, size, seed) {
  if (existsSync(file)) return
  const prng = new Prng(seed)
  const fd = openSync(`${file}.tmp`, 'w')
  const buf = Buffer.allocUnsafe(MIB)
  for (let off = 0; off < size; off += MIB) writeSync(fd, prng.fill(buf.subarray(0, Math.min(MIB, size - off))))
  closeSync(fd)
  spawnSync('mv', [`${file}.tmp`, file])
}

/**
 * A copy of `base` with 1% of its 32 KiB blocks edited at scattered offsets: 64 random bytes
 * overwritten in each (`insert` false) or inserted into each (a shift of everything after).
 */
function edited(base, file, insert) {
  if (existsSync(file)) return
  const size = SIZE
  const blocks = Math.floor(size / 32768)
  const prng = new Prng(insert ? 77 : 76)
  const picks = prng.sample(blocks, Math.ceil(blocks / 100)).map((b) => b * 32768 + prng.int(0, 32768 - 64))
  const fdIn = openSync(base, 'r')
  const fdOut = openSync(`${file}.tmp`, 'w')
  const patch = Buffer.allocUnsafe(64)
  let pos = 0
  const buf = Buffer.allocUnsafe(8 * MIB)
  const copy = (to) => {
    while (pos < to) {
      const n = spawnRead(fdIn, buf, Math.min(buf.length, to - pos), pos)
      writeSync(fdOut, buf.subarray(0, n))
      pos += n
    }
  }
  for (const at of picks) {
    copy(at)
    writeSync(fdOut, prng.fill(patch))
    if (!insert) pos += 64
  }
  copy(size)
  closeSync(fdIn)
  closeSync(fdOut)
  spawnSync('mv', [`${file}.tmp`, file])
}

function spawnRead(fd, buf, length, position) {
  // readSync without importing it at the top (keeps the imports list short)
  return /** @type {typeof import('node:fs')} */ (fsMod).readSync(fd, buf, 0, length, position)
}
const fsMod = await import('node:fs')

console.error(`bench/grpc: generating data in ${DATA} (once)`)
/** The big files are generated only when a scenario needs them (`--only small` needs none of them). */
const BIG = ONLY.some((s) => s !== 'small')
const BASE = path.join(DATA, `base-${SIZE / MIB}m.bin`)
const OVERWRITE = path.join(DATA, `overwrite-${SIZE / MIB}m.bin`)
const INSERT = path.join(DATA, `insert-${SIZE / MIB}m.bin`)
const RENAMED = path.join(DATA, `renamed-${RENAME / MIB}m.bin`)
if (BIG) {
  generate(BASE, SIZE, 1)
  edited(BASE, OVERWRITE, false)
  edited(BASE, INSERT, true)
  generate(RENAMED, RENAME, 2)
  utimesSync(BASE, T0, T0)
  utimesSync(OVERWRITE, T1, T1)
  utimesSync(INSERT, T1, T1)
  utimesSync(RENAMED, T0, T0)
}

/**
 * The `small` scenario's tree: `files` files of 1-4 KiB (seeded sizes and bytes) spread over 20
 * directories, all with mtime T0. Made once, under a temp name renamed into place when complete.
 */
function smallTree(files) {
  const dir = path.join(DATA, `small-${files}`)
  if (existsSync(dir)) return dir
  const tmp = `${dir}.tmp`
  rmSync(tmp, { recursive: true, force: true })
  const prng = new Prng(3)
  for (let i = 0; i < files; i++) {
    const sub = path.join(tmp, `d${String(i % 20).padStart(2, '0')}`)
    mkdirSync(sub, { recursive: true })
    const file = path.join(sub, `f${String(i).padStart(5, '0')}.bin`)
    writeFileSync(file, prng.fill(Buffer.allocUnsafe(prng.int(1024, 4097))))
    utimesSync(file, T0, T0)
  }
  spawnSync('mv', [tmp, dir])
  return dir
}
const SMALL = ONLY.includes('small') ? smallTree(FILES) : ''

// ---- servers and proxy ------------------------------------------------------------------------

async function freePort() {
  const s = createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', () => r(undefined)))
  const port = /** @type {import('node:net').AddressInfo} */ (s.address()).port
  await new Promise((r) => s.close(() => r(undefined)))
  return port
}

/** A TCP proxy counting payload bytes both ways. */
async function proxy(target) {
  const counts = { up: 0, down: 0 }
  const server = createServer((c) => {
    const u = connect(target, '127.0.0.1')
    c.on('data', (d) => {
      counts.up += d.length
      if (!u.write(d)) c.pause()
    })
    u.on('drain', () => c.resume())
    u.on('data', (d) => {
      counts.down += d.length
      if (!c.write(d)) u.pause()
    })
    c.on('drain', () => u.resume())
    const end = () => {
      c.destroy()
      u.destroy()
    }
    for (const s of [c, u]) {
      s.on('close', end)
      s.on('error', end)
    }
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)))
  return {
    port: /** @type {import('node:net').AddressInfo} */ (server.address()).port,
    counts,
    close: () => server.close(),
  }
}

function startDaemon(cmd, argv) {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'inherit'] })
  return child
}

async function waitForPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy()
        r(true)
      })
      s.on('error', () => r(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 50)) // polling a port that is coming up: nothing to await instead
  }
  throw new Error(`port ${port} never opened`)
}

const SF_ROOT = path.join(DATA, 'sf-target')
const SFB_ROOT = path.join(DATA, 'sf-b-target')
const RS_ROOT = path.join(DATA, 'rsync-target')
const SRC = path.join(DATA, 'source')

/** A syncflow server (`bin` serving `root`) behind its own byte-counting proxy. */
async function startSyncflow(bin, root) {
  const port = await freePort()
  const serveCmd =
    SERVER === 'cli'
      ? ['node', [bin, 'serve', '--root', root, '--listen', `127.0.0.1:${port}`]]
      : ['node', [path.join(HERE, 'driver.mjs'), 'serve', root, `127.0.0.1:${port}`]]
  mkdirSync(root, { recursive: true })
  const server = startDaemon(.../** @type {[string, string[]]} */ (serveCmd))
  await waitForPort(port)
  return { server, proxy: await proxy(port) }
}
const sf = await startSyncflow(BIN, SF_ROOT)
const sfB = AB ? await startSyncflow(AB, SFB_ROOT) : undefined

const rsPort = await freePort()
mkdirSync(RS_ROOT, { recursive: true })
const conf = path.join(DATA, 'rsyncd.conf')
writeFileSync(
  conf,
  `use chroot = false\npid file = ${path.join(DATA, 'rsyncd.pid')}\n[bench]\n  path = ${RS_ROOT}\n  read only = false\n  uid = ${process.getuid?.() ?? 0}\n  gid = ${process.getgid?.() ?? 0}\n`,
)
const rs = startDaemon('rsync', [
  '--daemon',
  '--no-detach',
  `--config=${conf}`,
  `--port=${rsPort}`,
  '--address=127.0.0.1',
])
await waitForPort(rsPort)

const rsProxy = await proxy(rsPort)

// ---- scenarios --------------------------------------------------------------------------------

/**
 * Empties `dir` and hard-links `files` (name → data file) into it: instant, and both tools replace by
 * rename. The directory itself stays: a served root replaced under a running `syncflow serve` is
 * refused (it is not the directory served any more).
 */
function populate(dir, files) {
  mkdirSync(dir, { recursive: true })
  for (const name of readdirSync(dir)) rmSync(path.join(dir, name), { recursive: true, force: true })
  for (const [name, file] of Object.entries(files)) {
    // A directory (the small files' tree) is hard-linked file by file below `dir/name`.
    if (fsMod.statSync(file).isDirectory()) spawnSync('cp', ['-al', `${file}/.`, path.join(dir, name)])
    else linkSync(file, path.join(dir, name))
  }
}

/** Every file below `tree` is in `dir` with the same bytes (the small scenario's check). */
function sameTree(tree, dir) {
  for (const sub of readdirSync(tree)) {
    for (const name of readdirSync(path.join(tree, sub))) {
      const rel = path.join(sub, name)
      if (!fsMod.readFileSync(path.join(tree, rel)).equals(fsMod.readFileSync(path.join(dir, rel)))) return false
    }
  }
  return true
}

const TICK_S = 1 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100)

/**
 * CPU seconds a server process has used so far, its reaped children included (the rsync daemon
 * forks one per connection): utime + stime + cutime + cstime from /proc/PID/stat.
 */
function serverCpuS(pid) {
  try {
    const stat = fsMod.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * TICK_S
  } catch {
    return Number.NaN
  }
}

/** Waits (up to 5 s) until process `pid` has no children left. */
async function childrenReaped(pid) {
  for (let i = 0; i < 100; i++) {
    let children = ''
    try {
      children = fsMod.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()
    } catch {
      return
    }
    if (children === '') return
    await new Promise((r) => setTimeout(r, 50)) // polling /proc: there is no event to wait for
  }
}

/** Runs a command, measuring wall time and (GNU time) CPU and peak RSS. */
function run(cmd, argv) {
  return new Promise((resolve, reject) => {
    const out = path.join(os.tmpdir(), `bench-grpc-time-${process.pid}`)
    const t0 = process.hrtime.bigint()
    const child = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', out, cmd, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', async (code) => {
      const wallS = Number(process.hrtime.bigint() - t0) / 1e9
      if (code !== 0) return reject(new Error(`${cmd} ${argv.join(' ')}: exit ${code}\n${stderr.slice(-3000)}`))
      const [user, sys, rss] = (await readFile(out, 'utf8')).trim().split('\n').at(-1).split(' ').map(Number)
      resolve({ wallS, cpuS: user + sys, maxRssMiB: rss / 1024, stdout })
    })
  })
}

async function sha256(file) {
  const h = createHash('sha256')
  for await (const c of createReadStream(file)) h.update(c)
  return h.digest('hex')
}

const allScenarios = [
  {
    name: `${SIZE / MIB} MiB, 1% of blocks overwritten`,
    source: { 'big.bin': OVERWRITE },
    target: { 'big.bin': BASE },
    check: 'big.bin',
  },
  {
    name: `${SIZE / MIB} MiB, 1% of blocks with inserted bytes`,
    source: { 'big.bin': INSERT },
    target: { 'big.bin': BASE },
    check: 'big.bin',
  },
  {
    name: `${RENAME / MIB} MiB file renamed`,
    source: { 'new-name.bin': RENAMED },
    target: { 'old-name.bin': RENAMED },
    check: 'new-name.bin',
  },
  {
    // An initial sync of many small files into an empty target: the per-file cost of each tool.
    name: `${FILES} files of 1-4 KiB in 20 directories`,
    source: { small: SMALL },
    target: {},
    check: 'small',
    tree: SMALL,
  },
  {
    // A new big file whose upload is killed (SIGKILL) halfway, untimed; then the run again, timed.
    name: `${SIZE / MIB} MiB new file, its first upload killed halfway`,
    source: { 'big.bin': BASE },
    target: {},
    check: 'big.bin',
    interruptAt: SIZE / 2,
  },
]
const scenarios = allScenarios.filter((_, i) => ONLY.includes(SCENARIOS[i] ?? ''))

/** The syncflow client of `bin` against server `s`. */
const syncflowTool = (bin, root, s) => ({
  root,
  pid: () => s.server.pid,
  counts: s.proxy.counts,
  command: () =>
    CLIENT === 'cli'
      ? ['node', [bin, 'sync', `${SRC}/`, `grpc://127.0.0.1:${s.proxy.port}/`, '--no-state', '-q']]
      : ['node', [path.join(HERE, 'driver.mjs'), 'sync', SRC, `grpc://127.0.0.1:${s.proxy.port}/`]],
})
const tools = {
  syncflow: syncflowTool(BIN, SF_ROOT, sf),
  ...(AB && sfB ? { 'syncflow-b': syncflowTool(AB, SFB_ROOT, sfB) } : {}),
  rsync: {
    root: RS_ROOT,
    pid: () => rs.pid,
    counts: rsProxy.counts,
    command: () => ['rsync', ['-a', '--delete', '--stats', `${SRC}/`, `rsync://127.0.0.1:${rsProxy.port}/bench/`]],
  },
  // Like for like where it matters: syncflow makes every file durable before its rename, the daemon
  // by default does not (its files may sit in the page cache). `--fsync` has the daemon's receiver
  // fsync each file it writes. Same daemon and proxy as `rsync`, so each run starts from the target
  // that run left; the small scenario only (the big files' scenarios are about the delta).
  'rsync --fsync': {
    root: RS_ROOT,
    pid: () => rs.pid,
    counts: rsProxy.counts,
    scenarios: ['small'],
    command: () => [
      'rsync',
      ['-a', '--delete', '--fsync', '--stats', `${SRC}/`, `rsync://127.0.0.1:${rsProxy.port}/bench/`],
    ],
  },
  // What an rsync user gives to keep an interrupted upload (its receiver keeps the partial file as
  // the destination, and the next run's delta uses it as the base); syncflow keeps one by default.
  'rsync --partial': {
    root: RS_ROOT,
    pid: () => rs.pid,
    counts: rsProxy.counts,
    scenarios: ['resume'],
    command: () => [
      'rsync',
      ['-a', '--delete', '--partial', '--stats', `${SRC}/`, `rsync://127.0.0.1:${rsProxy.port}/bench/`],
    ],
  },
}

/**
 * Starts a tool's run and kills it (SIGKILL: no goodbye) once `bytes` went up its proxy; then waits
 * for the server side to settle (the rsync daemon's receiver reaped, syncflow serve's partial kept).
 * Returns the bytes sent before the kill.
 */
async function killedAfter(tool, bytes) {
  const [cmd, argv] = tool.command()
  const child = spawn(cmd, argv, { stdio: 'ignore' })
  const exited = new Promise((r) => child.on('exit', r))
  while (tool.counts.up < bytes && child.exitCode === null) await new Promise((r) => setTimeout(r, 5)) // polling a byte counter
  child.kill('SIGKILL')
  await exited
  const sent = tool.counts.up
  await childrenReaped(tool.pid())
  // (syncflow serve keeps the partial once it sees the connection gone: a moment after the kill.)
  for (let i = 0; i < 200 && tool.root === SF_ROOT; i++) {
    if (readdirSync(tool.root).some((n) => n.startsWith('.syncflow-tmp-0-'))) break
    await new Promise((r) => setTimeout(r, 25)) // polling the directory: nothing to await instead
  }
  return sent
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const results = []
for (const sc of scenarios) {
  // Runs interleaved (syncflow, rsync, syncflow, …): a burst of load from other processes then
  // weighs on both tools alike. With --ab the order rotates each round, so that no tool always
  // runs right after another's writes.
  const key = SCENARIOS[allScenarios.indexOf(sc)] ?? ''
  const entries = Object.entries(tools).filter(([, t]) => !('scenarios' in t) || t.scenarios.includes(key))
  const runsOf = Object.fromEntries(entries.map(([name]) => [name, []]))
  for (let i = 0; i < RUNS; i++) {
    const order = AB ? [...entries.slice(i % entries.length), ...entries.slice(0, i % entries.length)] : entries
    for (const [name, tool] of order) {
      populate(SRC, sc.source)
      populate(tool.root, sc.target)
      tool.counts.up = 0
      tool.counts.down = 0
      if (sc.interruptAt !== undefined) {
        const sent = await killedAfter(tool, sc.interruptAt)
        console.error(`  ${sc.name} · ${name} · run ${i + 1}: killed after ${(sent / MIB).toFixed(1)} MiB sent`)
        tool.counts.up = 0
        tool.counts.down = 0
      }
      const [cmd, argv] = tool.command()
      const server0 = serverCpuS(tool.pid())
      const m = await run(cmd, argv)
      // The rsync daemon reaps its per-connection child a moment after the client exits: its CPU
      // counts (cutime) only then.
      await childrenReaped(tool.pid())
      const serverCpu = serverCpuS(tool.pid()) - server0
      const wire = tool.counts.up + tool.counts.down
      const stats = /Total bytes sent: ([\d,]+)[\s\S]*Total bytes received: ([\d,]+)/.exec(m.stdout)
      const rsyncStats = stats ? Number(stats[1].replace(/,/g, '')) + Number(stats[2].replace(/,/g, '')) : undefined
      if (
        sc.tree
          ? !sameTree(sc.tree, path.join(tool.root, sc.check))
          : (await sha256(path.join(tool.root, sc.check))) !== (await sha256(Object.values(sc.source)[0]))
      ) {
        throw new Error(`${name}: ${sc.check} differs from the source after "${sc.name}"`)
      }
      runsOf[name].push({ ...m, serverCpu, wire, rsyncStats })
      console.error(
        `  ${sc.name} · ${name} · run ${i + 1}: ${m.wallS.toFixed(2)} s, CPU ${m.cpuS.toFixed(2)} + ${serverCpu.toFixed(2)} s, ${(wire / MIB).toFixed(2)} MiB on the wire, load ${os.loadavg()[0].toFixed(1)}`,
      )
    }
  }
  for (const [name, runs] of Object.entries(runsOf)) {
    results.push({
      scenario: sc.name,
      tool: name,
      wallS: median(runs.map((r) => r.wallS)),
      cpuS: median(runs.map((r) => r.cpuS)),
      serverCpuS: median(runs.map((r) => r.serverCpu)),
      maxRssMiB: median(runs.map((r) => r.maxRssMiB)),
      wireBytes: median(runs.map((r) => r.wire)),
      rsyncStatsBytes: runs[0].rsyncStats,
      // Per-run ratios against the rsync run of the same round: the fairest figure under shifting load.
      ratios: name.startsWith('rsync') ? undefined : runs.map((r, i) => r.wallS / runsOf.rsync[i].wallS),
    })
  }
}

for (const s of [sf, sfB]) {
  s?.server.kill('SIGTERM')
  s?.proxy.close()
}
rs.kill('SIGTERM')
rsProxy.close()

const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
const header = `${new Date().toISOString().slice(0, 10)} · ${os.cpus().length} × ${cpu} · ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM · Node ${process.version} · ${spawnSync('rsync', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]} · via ${VIA}`
writeFileSync(path.join(DATA, 'results.json'), JSON.stringify({ header, results }, null, 2))
const fmt = (b) => (b >= MIB ? `${(b / MIB).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`)
console.log(`\n${header}\n`)
console.log(
  '| scenario | tool | wall | CPU (client) | CPU (server) | peak RSS (client) | bytes on the wire | rsync --stats |',
)
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
for (const r of results) {
  console.log(
    `| ${r.scenario} | ${r.tool} | ${r.wallS.toFixed(2)} s | ${r.cpuS.toFixed(2)} s | ${r.serverCpuS.toFixed(2)} s | ${r.maxRssMiB.toFixed(0)} MiB | ${fmt(r.wireBytes)} | ${r.rsyncStatsBytes !== undefined ? fmt(r.rsyncStatsBytes) : ''} |`,
  )
}
console.log(
  '\n| scenario | wall syncflow / rsync (medians) | per-run wall ratios | CPU syncflow / rsync (client + server) | wire syncflow / rsync |',
)
console.log('| --- | --- | --- | --- | --- |')
for (const sc of scenarios) {
  const r = results.find((x) => x.scenario === sc.name && x.tool === 'rsync')
  // The like-for-like peer where there is one: `rsync --fsync` (small files), `rsync --partial` (resume).
  const like = results.find((x) => x.scenario === sc.name && x.tool.startsWith('rsync --'))
  for (const s of results.filter((x) => x.scenario === sc.name && !x.tool.startsWith('rsync'))) {
    const cpu = (s.cpuS + s.serverCpuS) / (r.cpuS + r.serverCpuS)
    console.log(
      `| ${sc.name}${AB ? ` (${s.tool})` : ''} | ${(s.wallS / r.wallS).toFixed(2)}${like ? ` (${(s.wallS / like.wallS).toFixed(2)} against ${like.tool})` : ''} | ${s.ratios.map((x) => x.toFixed(2)).join(', ')} | ${cpu.toFixed(2)} | ${(s.wireBytes / r.wireBytes).toFixed(3)}${like ? ` (${(s.wireBytes / like.wireBytes).toFixed(3)} against ${like.tool})` : ''} |`,
    )
  }
}
