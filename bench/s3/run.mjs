#!/usr/bin/env node
// @ts-check
// S3 benchmarks: syncflow against `aws s3 sync` and rclone, local → a real S3 server (Ceph
// radosgw on bluestore, started here) through a request-counting proxy; prints a markdown table of
// medians, ratios and requests by type. See bench/s3/README.md. Not a test: nothing is asserted.
//
//   node bench/s3/run.mjs [--reps 3] [--big-reps 1] [--only initial,noop,change,delete,rename,mixed,mixed-rename,bisync-rename]
//                         [--tools syncflow,aws,rclone] [--quick] [--data DIR] [--keep]
//                         [--no-install] [--no-build] [--variant 'NAME=[BIN.js] [ARGS…]' …]

import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { cpSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { badFlag, checkDataDir, parseFlags, resetDataDir, wholeFlag } from '../lib/flags.mjs'
import { canMeasureRusage, measure } from '../lib/measure.mjs'
import { deriveSeed } from '../lib/prng.mjs'
import { fmt, markdownTable, median, ratio } from '../lib/stats.mjs'
import { REPO, SYNCFLOW_BIN } from '../lib/tools.mjs'
import { changeSome, deleteSome, listTree, mixedTree, smallFilesTree, totalBytes, writeTree } from '../lib/tree.mjs'

/**
 * @typedef {import('../lib/measure.mjs').Measurement} Measurement
 * @typedef {Measurement & { requests: Record<string, number> }} Run
 * @typedef {{ scenario: string, tool: string, runs: Run[], wrong?: string }} Result
 * @typedef {{ cmd: string, args: string[], env: NodeJS.ProcessEnv }} Command
 * @typedef {{ name: string, version: string | undefined, command(src: string, prefix: string): Command, bisync?: (a: string, prefix: string, first: boolean) => Command }} Tool
 */

const SCENARIOS = ['initial', 'noop', 'change', 'delete', 'rename', 'mixed', 'mixed-rename', 'bisync-rename']
const flags = parseFlags('node bench/s3/run.mjs', {
  reps: { type: 'string', default: '3' },
  'big-reps': { type: 'string', default: '1' },
  only: { type: 'string', default: SCENARIOS.join(',') },
  tools: { type: 'string', default: 'syncflow,aws,rclone' },
  quick: { type: 'boolean', default: false },
  data: { type: 'string', default: path.join(REPO, '.bench-data', 's3') },
  keep: { type: 'boolean', default: false },
  'no-install': { type: 'boolean', default: false },
  'no-build': { type: 'boolean', default: false },
  // Extra syncflow runs in the same rotation, for A/B comparisons: `c64=--concurrency 64`, or
  // `old=/tmp/old/packages/cli-tui/dist/bin.js` (another build), or both (`old64=/x/bin.js --concurrency 8`).
  variant: { type: 'string', multiple: true, default: [] },
})

const SEED = 20240917
const quick = flags.quick === true
const reps = quick ? 1 : wholeFlag(flags, 'reps')
const bigReps = wholeFlag(flags, 'big-reps')
const only = new Set(String(flags.only).split(','))
const SMALL = quick ? { files: 1000, dirs: 20 } : { files: 10_000, dirs: 200 }
const MIXED_MAX = quick ? 32 * 1024 * 1024 : 256 * 1024 * 1024
const BUCKET = 'bench'
const data = path.resolve(String(flags.data))
const log = (/** @type {string} */ msg) => process.stderr.write(`bench-s3: ${msg}\n`)
checkDataDir(data, path.join(REPO, '.bench-data', 's3'))
for (const s of only)
  if (!SCENARIOS.includes(s)) badFlag(`--only: unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`)

// ---- set-up: tools, build, server, proxy --------------------------------------------------------

if (!flags['no-install']) {
  spawnSync('bash', [path.join(REPO, 'scripts/s3/install-peers.sh'), 'rclone', 'awscli'], { stdio: 'inherit' })
  spawnSync('sh', [path.join(REPO, 'bench/install-tools.sh')], { stdio: 'inherit' })
}
if (!flags['no-build']) {
  log('building the CLI and the S3 backend')
  // The binary is the bundle (packages/cli-tui/scripts/bundle.mjs) of the TypeScript build: both,
  // as `npm run build` does (a bundle older than the build would fall back to tsc's modules).
  const r = spawnSync('npx', ['tsc', '-b', 'packages/cli-tui', 'packages/backend-s3'], { cwd: REPO, stdio: 'inherit' })
  const b =
    r.status === 0 &&
    spawnSync(process.execPath, ['packages/cli-tui/scripts/bundle.mjs'], { cwd: REPO, stdio: 'inherit' })
  if (r.status !== 0 || !b || b.status !== 0) throw new Error('build failed')
}
if (!canMeasureRusage()) log('GNU time (/usr/bin/time) is missing: CPU and memory are not measured')

resetDataDir(data)

log('starting radosgw (bluestore) …')
const started = execFileSync(
  'bash',
  [
    path.join(REPO, 'scripts/s3/start-radosgw.sh'),
    '--store',
    'bluestore',
    '--size',
    String(20 * 2 ** 30),
    '--owner',
    String(process.pid),
  ],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
)
/** @type {Record<string, string>} */
const server = {}
for (const m of started.matchAll(/^export (\w+)=(.*)$/gm))
  server[/** @type {string} */ (m[1])] = /** @type {string} */ (m[2])
const stopServer = () => {
  if (server.RADOSGW_DIR)
    spawnSync('bash', [path.join(REPO, 'scripts/s3/stop-radosgw.sh'), server.RADOSGW_DIR], { stdio: 'inherit' })
  server.RADOSGW_DIR = ''
}
/** @type {import('node:child_process').ChildProcess | undefined} */
let proxyProcess
process.on('exit', () => {
  proxyProcess?.kill()
  stopServer()
})
for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.on(sig, () => process.exit(130))

proxyProcess = spawn(
  process.execPath,
  [path.join(REPO, 'bench/s3/counting-proxy.mjs'), server.S3_TEST_ENDPOINT ?? ''],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
)
const proxyPort = await new Promise((resolve) => {
  createInterface({ input: /** @type {import('node:stream').Readable} */ (proxyProcess?.stdout) }).once('line', resolve)
})
const PROXY = `http://127.0.0.1:${proxyPort}`
// The pinned SDK runs on Node 20; its notice about future versions is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
const creds = { accessKeyId: server.S3_TEST_ACCESS_KEY ?? '', secretAccessKey: server.S3_TEST_SECRET_KEY ?? '' }
const s3 = new S3Client({
  endpoint: server.S3_TEST_ENDPOINT,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: creds,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
})
await s3.send(new CreateBucketCommand({ Bucket: BUCKET }))

/**
 * One control request to the proxy, on a fresh connection (a kept-alive one may have been closed
 * while a tool ran).
 * @param {string} method
 * @param {string} urlPath
 * @returns {Promise<string>}
 */
function control(method, urlPath) {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: proxyPort, method, path: urlPath, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c) => {
        body += c
      })
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
    req.end()
  })
}
/** @returns {Promise<Record<string, number>>} */
async function requestCounts() {
  return JSON.parse(await control('GET', '/__counts'))
}
async function resetCounts() {
  await control('POST', '/__reset')
}

// ---- tools --------------------------------------------------------------------------------------

const stateDir = path.join(data, 'state')
/** Credentials and region for the AWS tools; AWS_CA_BUNDLE (set on some machines) makes rclone 1.60 refuse to start. */
const baseEnv = (() => {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey }
  env.AWS_REGION = 'us-east-1'
  env.AWS_DEFAULT_REGION = 'us-east-1'
  delete env.AWS_CA_BUNDLE
  delete env.AWS_PROFILE
  return env
})()
const rcloneConfig = path.join(data, 'rclone.conf')
writeFileSync(rcloneConfig, '')

/**
 * @param {string} cmd
 * @param {string[]} args
 */
function versionOf(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: baseEnv })
  return r.status === 0 ? `${r.stdout}${r.stderr}`.split('\n')[0]?.trim() : undefined
}

/** rclone's S3 remote "bench", from environment variables. */
const rcloneEnv = {
  ...baseEnv,
  RCLONE_CONFIG_BENCH_TYPE: 's3',
  RCLONE_CONFIG_BENCH_PROVIDER: 'Ceph',
  RCLONE_CONFIG_BENCH_ENDPOINT: PROXY,
  RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: creds.accessKeyId,
  RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: creds.secretAccessKey,
  RCLONE_CONFIG_BENCH_REGION: 'us-east-1',
}

/** @type {Tool[]} */
const allTools = [
  {
    name: 'syncflow',
    version: versionOf(process.execPath, [SYNCFLOW_BIN, '--version']),
    command: (src, prefix) => ({
      cmd: process.execPath,
      args: [SYNCFLOW_BIN, 'sync', src, `s3://${BUCKET}/${prefix}`, '-q', '--s3-endpoint', PROXY],
      env: { ...baseEnv, SYNCFLOW_STATE_DIR: stateDir },
    }),
    bisync: (a, prefix) => ({
      cmd: process.execPath,
      args: [SYNCFLOW_BIN, 'bisync', a, `s3://${BUCKET}/${prefix}`, '-q', '--s3-endpoint', PROXY],
      env: { ...baseEnv, SYNCFLOW_STATE_DIR: stateDir },
    }),
  },
  {
    name: 'aws',
    version: versionOf('aws', ['--version']),
    command: (src, prefix) => ({
      cmd: 'aws',
      args: ['s3', 'sync', src, `s3://${BUCKET}/${prefix}`, '--delete', '--only-show-errors', '--endpoint-url', PROXY],
      env: baseEnv,
    }),
  },
  {
    name: 'rclone',
    version: versionOf('rclone', ['version']),
    // Default settings, an S3 remote "bench" from environment variables.
    command: (src, prefix) => ({
      cmd: 'rclone',
      args: ['sync', src, `bench:${BUCKET}/${prefix}`, '--config', rcloneConfig],
      env: rcloneEnv,
    }),
    // Its first run takes --resync (it refuses to run without its listings of the last run).
    bisync: (a, prefix, first) => ({
      cmd: 'rclone',
      args: [
        'bisync',
        a,
        `bench:${BUCKET}/${prefix}`,
        '--config',
        rcloneConfig,
        '--workdir',
        path.join(data, 'workdir-rclone'),
        ...(first ? ['--resync'] : []),
      ],
      env: rcloneEnv,
    }),
  },
]
for (const spec of /** @type {string[]} */ (flags.variant)) {
  const eq = spec.indexOf('=')
  const name = spec.slice(0, eq)
  const words = spec
    .slice(eq + 1)
    .split(' ')
    .filter(Boolean)
  const bin = words[0]?.endsWith('.js') ? /** @type {string} */ (words.shift()) : SYNCFLOW_BIN
  if (eq < 1 || allTools.some((t) => t.name === name)) throw new Error(`--variant ${spec}: want NAME=[BIN.js] [ARGS…]`)
  allTools.push({
    name,
    version: `${versionOf(process.execPath, [bin, '--version'])} (${spec.slice(eq + 1)})`,
    command: (src, prefix) => ({
      cmd: process.execPath,
      args: [bin, 'sync', src, `s3://${BUCKET}/${prefix}`, '-q', '--s3-endpoint', PROXY, ...words],
      env: { ...baseEnv, SYNCFLOW_STATE_DIR: path.join(stateDir, name) },
    }),
  })
}
const wanted = new Set([...String(flags.tools).split(','), ...flags.variant.map((v) => v.slice(0, v.indexOf('=')))])
const toolList = allTools.filter((t) => {
  if (!wanted.has(t.name)) return false
  if (t.version === undefined) log(`${t.name} is not installed: left out`)
  return t.version !== undefined
})
/** The run the ratios are against: syncflow, else the first variant. */
const baseTool = toolList.find((t) => t.name === 'syncflow')?.name ?? flags.variant[0]?.split('=')[0]
if (!baseTool || !toolList.some((t) => t.name === baseTool)) throw new Error(`syncflow is not built (${SYNCFLOW_BIN})`)

// ---- measuring ----------------------------------------------------------------------------------

/** @type {Result[]} */
const results = []
/** The current prefix of each tool per tree group. */
const prefixes = new Map()

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
 * @param {readonly Tool[]} list
 * @param {number} rep
 */
function rotate(list, rep) {
  const k = rep % list.length
  return [...list.slice(k), ...list.slice(0, k)]
}

/**
 * One measured sync, with the requests it made.
 * @param {string} scenario
 * @param {string} group
 * @param {Tool} tool
 * @param {string} src
 */
async function timed(scenario, group, tool, src) {
  await timedCommand(scenario, tool, tool.command(src, prefixes.get(`${group}/${tool.name}`)))
}

/**
 * One measured command of a tool, with the requests it made.
 * @param {string} scenario
 * @param {Tool} tool
 * @param {Command} command
 */
async function timedCommand(scenario, tool, { cmd, args, env }) {
  spawnSync('sync')
  await resetCounts()
  const m = measure(cmd, args, { env })
  const requests = await requestCounts()
  resultOf(scenario, tool).runs.push({ ...m, requests })
  log(`${scenario} ${tool.name}: ${m.wallS.toFixed(2)} s, ${JSON.stringify(requests)}`)
}

/**
 * An unmeasured sync (to bring a prefix in line before a scenario).
 * @param {string} group
 * @param {Tool} tool
 * @param {string} src
 */
function untimed(group, tool, src) {
  untimedCommand(tool.command(src, prefixes.get(`${group}/${tool.name}`)))
}

/**
 * An unmeasured command, which must succeed.
 * @param {Command} command
 */
function untimedCommand({ cmd, args, env }) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`)
}

/**
 * Every key below a prefix with its size (straight to the server, not through the proxy).
 * @param {string} prefix
 */
async function listPrefix(prefix) {
  /** @type {Map<string, number>} */
  const out = new Map()
  /** @type {string | undefined} */
  let token
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: BUCKET,
        Prefix: `${prefix}/`,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    )
    for (const o of page.Contents ?? []) out.set((o.Key ?? '').slice(prefix.length + 1), o.Size ?? 0)
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
  return out
}

/**
 * Checks that each tool's prefix holds exactly the source's paths and sizes; a wrong result is
 * flagged in the table, never silently timed.
 * @param {string} scenario
 * @param {string} group
 * @param {readonly Tool[]} list
 * @param {string} src
 */
async function verify(scenario, group, list, src) {
  const expected = listTree(src)
  for (const tool of list) {
    const actual = await listPrefix(prefixes.get(`${group}/${tool.name}`))
    let wrong
    for (const [p, facts] of expected) {
      const size = Number(facts.split(':')[0])
      if (actual.get(p) !== size) {
        wrong = actual.has(p) ? `${p}: size ${actual.get(p)}, expected ${size}` : `missing ${p}`
        break
      }
    }
    for (const p of actual.keys()) if (!wrong && !expected.has(p)) wrong = `extra ${p}`
    if (wrong) {
      resultOf(scenario, tool).wrong = wrong
      log(`WRONG: ${scenario} ${tool.name}: ${wrong}`)
    }
  }
}

/**
 * Fresh prefixes (and a fresh syncflow state) for a first upload.
 * @param {string} group
 * @param {number} rep
 */
function freshPrefixes(group, rep) {
  for (const t of toolList) prefixes.set(`${group}/${t.name}`, `${t.name}-${group}-${rep}`)
  rmSync(stateDir, { recursive: true, force: true })
}

// ---- scenarios ----------------------------------------------------------------------------------

const loadBefore = os.loadavg()
const startedAt = new Date()
const small = smallFilesTree({ ...SMALL, seed: SEED })
const smallSrc = path.join(data, 'src-small')
log(`writing the small tree: ${small.length} files, ${(totalBytes(small) / 2 ** 20).toFixed(0)} MiB`)
writeTree(smallSrc, small)

const needsSmall = ['initial', 'noop', 'change', 'delete', 'rename'].some((s) => only.has(s))
if (needsSmall) {
  for (let rep = 0; rep < (only.has('initial') ? reps : 1); rep++) {
    freshPrefixes('small', rep)
    for (const t of rotate(toolList, rep)) {
      if (only.has('initial')) await timed('initial', 'small', t, smallSrc)
      else untimed('small', t, smallSrc)
    }
  }
  if (only.has('initial')) await verify('initial', 'small', toolList, smallSrc)
}
if (only.has('noop')) {
  for (let rep = 0; rep < reps; rep++) for (const t of rotate(toolList, rep)) await timed('noop', 'small', t, smallSrc)
  await verify('noop', 'small', toolList, smallSrc)
}
if (only.has('change')) {
  for (let rep = 0; rep < reps; rep++) {
    changeSome(smallSrc, small, 0.01, deriveSeed(SEED, 100 + rep))
    for (const t of rotate(toolList, rep)) await timed('change', 'small', t, smallSrc)
  }
  await verify('change', 'small', toolList, smallSrc)
}
if (only.has('delete')) {
  for (let rep = 0; rep < reps; rep++) {
    const deleted = deleteSome(smallSrc, small, 0.01, deriveSeed(SEED, 200 + rep))
    for (const t of rotate(toolList, rep)) await timed('delete', 'small', t, smallSrc)
    await verify('delete', 'small', toolList, smallSrc)
    writeTree(smallSrc, deleted)
    for (const t of toolList) untimed('small', t, smallSrc)
  }
}
if (only.has('rename')) {
  // A directory of 50 files renamed; renamed back (and synced, untimed) between repetitions.
  const dir = /** @type {string} */ (small[0]?.path.split('/')[0])
  for (let rep = 0; rep < reps; rep++) {
    renameSync(path.join(smallSrc, dir), path.join(smallSrc, `${dir}-renamed`))
    for (const t of rotate(toolList, rep)) await timed('rename', 'small', t, smallSrc)
    await verify('rename', 'small', toolList, smallSrc)
    renameSync(path.join(smallSrc, `${dir}-renamed`), path.join(smallSrc, dir))
    for (const t of toolList) untimed('small', t, smallSrc)
  }
}
if (only.has('mixed') || only.has('mixed-rename') || only.has('bisync-rename')) {
  const mixed = mixedTree({ seed: deriveSeed(SEED, 1), maxBytes: MIXED_MAX })
  const mixedSrc = path.join(data, 'src-mixed')
  log(`writing the mixed tree: ${mixed.length} files, ${(totalBytes(mixed) / 2 ** 20).toFixed(0)} MiB`)
  writeTree(mixedSrc, mixed)
  if (only.has('mixed')) {
    for (let rep = 0; rep < bigReps; rep++) {
      freshPrefixes('mixed', rep)
      for (const t of rotate(toolList, rep)) await timed('mixed', 'mixed', t, mixedSrc)
    }
    await verify('mixed', 'mixed', toolList, mixedSrc)
  } else if (only.has('mixed-rename')) {
    freshPrefixes('mixed', 0)
    for (const t of toolList) untimed('mixed', t, mixedSrc)
  }
  if (only.has('mixed-rename')) {
    // The mixed tree's media/ (its 7 biggest files) renamed to video/, then back (untimed) between
    // repetitions: syncflow pairs the new keys with the old by MD5 (server-side copies); the
    // peers, at their defaults, upload them again.
    for (let rep = 0; rep < reps; rep++) {
      renameSync(path.join(mixedSrc, 'media'), path.join(mixedSrc, 'video'))
      for (const t of rotate(toolList, rep)) await timed('mixed-rename', 'mixed', t, mixedSrc)
      await verify('mixed-rename', 'mixed', toolList, mixedSrc)
      renameSync(path.join(mixedSrc, 'video'), path.join(mixedSrc, 'media'))
      for (const t of toolList) untimed('mixed', t, mixedSrc)
    }
  }
  if (only.has('bisync-rename')) {
    // Two-way: each tool with a bisync (syncflow, rclone) keeps its own copy of the mixed tree (A)
    // and its own prefix (B) in step; media/ is renamed to video/ on A, then back (untimed) between
    // repetitions. syncflow pairs the new keys with the old by MD5 and copies them server-side;
    // rclone bisync uploads them again.
    const pairs = toolList.filter((t) => t.bisync !== undefined)
    const aOf = (/** @type {Tool} */ t) => path.join(data, `bisync-a-${t.name}`)
    const bisyncOf = (/** @type {Tool} */ t, first = false) =>
      /** @type {NonNullable<Tool['bisync']>} */ (t.bisync)(aOf(t), prefixes.get(`bisync/${t.name}`), first)
    rmSync(stateDir, { recursive: true, force: true })
    rmSync(path.join(data, 'workdir-rclone'), { recursive: true, force: true })
    for (const t of pairs) {
      prefixes.set(`bisync/${t.name}`, `${t.name}-bisync`)
      cpSync(mixedSrc, aOf(t), { recursive: true, preserveTimestamps: true })
      untimedCommand(bisyncOf(t, true))
    }
    for (let rep = 0; rep < reps; rep++) {
      for (const t of pairs) renameSync(path.join(aOf(t), 'media'), path.join(aOf(t), 'video'))
      for (const t of rotate(pairs, rep)) await timedCommand('bisync-rename', t, bisyncOf(t))
      for (const t of pairs) await verify('bisync-rename', 'bisync', [t], aOf(t))
      for (const t of pairs) {
        renameSync(path.join(aOf(t), 'video'), path.join(aOf(t), 'media'))
        untimedCommand(bisyncOf(t))
      }
    }
    for (const t of pairs) rmSync(aOf(t), { recursive: true, force: true })
  }
}

// ---- report -------------------------------------------------------------------------------------

const ORDER = [
  'LIST',
  'LIST_UPLOADS',
  'HEAD',
  'GET',
  'PUT',
  'CREATE_MULTIPART',
  'PUT_PART',
  'COMPLETE_MULTIPART',
  'COPY',
  'DELETE',
  'DELETE_MULTI',
]
/** @param {Record<string, number>} r */
const showRequests = (r) => {
  const keys = [...ORDER.filter((k) => r[k]), ...Object.keys(r).filter((k) => !ORDER.includes(k))]
  return keys.map((k) => `${k} ${r[k]}`).join(', ') || 'none'
}
const rows = []
for (const scenario of SCENARIOS) {
  const base = results.find((r) => r.scenario === scenario && r.tool === baseTool)
  const baseWall = median(base?.runs.map((x) => x.wallS) ?? [])
  for (const r of results.filter((x) => x.scenario === scenario)) {
    const wall = median(r.runs.map((x) => x.wallS))
    const last = r.runs.at(-1)?.requests ?? {}
    // The tools are rotated per repetition, so runs of one repetition ran close in time: their
    // ratio is less exposed to a change in the machine's load than the ratio of the medians.
    const perRep = r.runs.flatMap((x, i) => {
      const b = base?.runs[i]?.wallS
      return b ? [x.wallS / b] : []
    })
    rows.push([
      scenario,
      r.tool + (r.wrong ? ` **WRONG: ${r.wrong}**` : ''),
      fmt(wall, 2, ' s'),
      r.tool === baseTool ? '1.00' : fmt(ratio(wall, baseWall), 2, '×'),
      r.tool === baseTool || perRep.length < 2
        ? ''
        : `${fmt(median(perRep), 2, '×')} (${perRep.map((x) => x.toFixed(2)).join(', ')})`,
      fmt(median(r.runs.map((x) => x.cpuS)), 2, ' s'),
      fmt(median(r.runs.map((x) => (x.maxRssKiB === undefined ? undefined : x.maxRssKiB / 1024))), 0, ' MiB'),
      String(Object.values(last).reduce((a, b) => a + b, 0)),
      showRequests(last),
    ])
  }
}
const table = markdownTable(
  [
    'scenario',
    'tool',
    'wall (median)',
    `tool ÷ ${baseTool}`,
    'per repetition (median)',
    'CPU',
    'peak RSS',
    'requests',
    'requests by type (last run)',
  ],
  rows,
)
const header = [
  `S3 benchmark, ${startedAt.toISOString()} (${quick ? 'quick' : `${reps} reps`}); ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
  `Server: radosgw ${versionOf('radosgw', ['--version']) ?? ''} (bluestore, single node, 127.0.0.1) behind a counting proxy.`,
  `Tools: ${toolList.map((t) => `${t.name} = ${t.version}`).join('; ')}`,
  `Trees: small = ${small.length} files, ${(totalBytes(small) / 2 ** 20).toFixed(0)} MiB; mixed = files up to ${MIXED_MAX / 2 ** 20} MiB.`,
]
const report = `${header.join('\n\n')}\n\n${table}\n`
process.stdout.write(report)
writeFileSync(path.join(data, 'results.md'), report)
writeFileSync(path.join(data, 'results.json'), JSON.stringify({ startedAt, results }, null, 2))
s3.destroy()
proxyProcess?.kill()
stopServer()
if (!flags.keep) {
  rmSync(smallSrc, { recursive: true, force: true })
  rmSync(path.join(data, 'src-mixed'), { recursive: true, force: true })
}
