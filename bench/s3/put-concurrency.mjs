#!/usr/bin/env node
// @ts-check
// How PUT throughput of small objects scales with the number of requests in flight, on a real S3
// server: the measurement behind the S3 backend's `preferredConcurrency` (bench/s3/README.md).
// Starts radosgw (bluestore, as run.mjs does) unless S3_TEST_ENDPOINT is set; not a test.
//
//   node bench/s3/put-concurrency.mjs [--levels 8,16,32,64,128] [--objects 2000] [--size 4096] [--rounds 2]
//                                     [--proxy]   (through bench/s3/counting-proxy.mjs, as run.mjs measures)
//
// Levels are interleaved and repeated (`--rounds`) so that a change in machine load hits them all.

import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { REPO } from '../lib/tools.mjs'

const { values: flags } = parseArgs({
  options: {
    levels: { type: 'string', default: '8,16,32,64,128' },
    objects: { type: 'string', default: '2000' },
    size: { type: 'string', default: '4096' },
    rounds: { type: 'string', default: '2' },
    proxy: { type: 'boolean', default: false },
  },
})
const levels = String(flags.levels).split(',').map(Number)
const objects = Number(flags.objects)
const size = Number(flags.size)
const rounds = Number(flags.rounds)
const log = (/** @type {string} */ msg) => process.stderr.write(`put-concurrency: ${msg}\n`)

/** @type {Record<string, string>} */
const server = {}
/** The cluster directory of the radosgw measured (its `pids` file). */
let serverDir = ''
if (process.env.S3_TEST_ENDPOINT) {
  for (const k of ['S3_TEST_ENDPOINT', 'S3_TEST_ACCESS_KEY', 'S3_TEST_SECRET_KEY']) server[k] = process.env[k] ?? ''
  // Given: its processes are measured (when it is a radosgw of scripts/s3), never stopped.
  serverDir = process.env.RADOSGW_DIR ?? ''
} else {
  log('starting radosgw (bluestore) …')
  const out = execFileSync(
    'bash',
    [path.join(REPO, 'scripts/s3/start-radosgw.sh'), '--store', 'bluestore', '--owner', String(process.pid)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  )
  for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) server[String(m[1])] = String(m[2])
  serverDir = server.RADOSGW_DIR ?? ''
}
/** @type {import('node:child_process').ChildProcess | undefined} */
let proxy
const stop = () => {
  proxy?.kill()
  if (server.RADOSGW_DIR) spawnSync('bash', [path.join(REPO, 'scripts/s3/stop-radosgw.sh'), server.RADOSGW_DIR])
  server.RADOSGW_DIR = ''
}
process.on('exit', stop)
for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.on(sig, () => process.exit(130))

let endpoint = server.S3_TEST_ENDPOINT ?? ''
if (flags.proxy) {
  proxy = spawn(process.execPath, [path.join(REPO, 'bench/s3/counting-proxy.mjs'), endpoint], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const port = await new Promise((resolve) => {
    createInterface({ input: /** @type {import('node:stream').Readable} */ (proxy?.stdout) }).once('line', resolve)
  })
  endpoint = `http://127.0.0.1:${port}`
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
const s3 = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: server.S3_TEST_ACCESS_KEY ?? '', secretAccessKey: server.S3_TEST_SECRET_KEY ?? '' },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  requestHandler: { httpAgent: { keepAlive: true, maxSockets: 256 } },
})
const bucket = `put-concurrency-${process.pid}`
await s3.send(new CreateBucketCommand({ Bucket: bucket }))

const serverPids = serverDir
  ? readFileSync(path.join(serverDir, 'pids'), 'utf8').split('\n').filter(Boolean).map(Number)
  : []
const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100
/** CPU seconds (user + system) used so far by the server's processes (mon, osd, radosgw). */
function serverCpu() {
  let sum = 0
  for (const pid of serverPids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
      sum += (Number(fields[11]) + Number(fields[12])) / ticks
    } catch {
      // not running
    }
  }
  return sum
}

/**
 * `objects` PUTs of `size` bytes with `level` in flight: objects per second, and the CPU time per
 * PUT of this client and of the server (the CPU time is what a shared machine runs out of).
 * @param {number} level
 * @param {string} prefix
 */
async function run(level, prefix) {
  let next = 0
  const body = randomBytes(size)
  const t0 = process.hrtime.bigint()
  const c0 = process.cpuUsage()
  const s0 = serverCpu()
  const worker = async () => {
    while (next < objects) {
      const i = next++
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${i}`, Body: body }))
    }
  }
  await Promise.all(Array.from({ length: level }, worker))
  const c = process.cpuUsage(c0)
  return {
    rate: objects / (Number(process.hrtime.bigint() - t0) / 1e9),
    clientMs: (c.user + c.system) / 1000 / objects,
    serverMs: ((serverCpu() - s0) * 1000) / objects,
  }
}

await run(8, 'warm-up')
/** @type {Map<number, { rate: number, clientMs: number, serverMs: number }[]>} */
const results = new Map(levels.map((l) => [l, []]))
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? levels : [...levels].reverse()
  for (const level of order) {
    const m = await run(level, `r${r}-c${level}`)
    results.get(level)?.push(m)
    log(
      `round ${r + 1}, ${level} in flight: ${m.rate.toFixed(0)} PUT/s, CPU per PUT: client ${m.clientMs.toFixed(2)} ms, server ${m.serverMs.toFixed(2)} ms (load ${os.loadavg()[0]?.toFixed(2)})`,
    )
  }
}
/** @param {number[]} xs */
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2
}
process.stdout.write(
  `| in flight | PUT/s (median; each round) | server CPU per PUT (median) | client CPU per PUT (median) |\n| --- | --- | --- | --- |\n`,
)
for (const [level, ms] of results) {
  const rates = ms.map((m) => m.rate)
  process.stdout.write(
    `| ${level} | ${median(rates).toFixed(0)} (${rates.map((x) => x.toFixed(0)).join(', ')}) | ${median(ms.map((m) => m.serverMs)).toFixed(2)} ms | ${median(ms.map((m) => m.clientMs)).toFixed(2)} ms |\n`,
  )
}
s3.destroy()
stop()
