#!/usr/bin/env node
// @ts-check
// A request-counting HTTP reverse proxy in front of an S3 endpoint, run as its own process so the
// benchmark (which waits for each tool synchronously) never stalls it.
//
//   node bench/s3/counting-proxy.mjs http://127.0.0.1:TARGET_PORT
//
// Prints `PORT` on stdout once listening. Control: GET /__counts (JSON, by S3 operation) and
// POST /__reset. Everything else is forwarded unchanged (the Host header too: SigV4 signs it).

import { Agent, createServer, request } from 'node:http'

const target = new URL(process.argv[2] ?? '')
const agent = new Agent({ keepAlive: true, maxSockets: 256 })
/** @type {Record<string, number>} */
let counts = {}

/**
 * The S3 operation of a path-style request.
 * @param {string} method
 * @param {string} url
 * @param {import('node:http').IncomingHttpHeaders} headers
 */
function classify(method, url, headers) {
  const u = new URL(url, 'http://x')
  const q = u.searchParams
  const bucketOnly = u.pathname.split('/').filter(Boolean).length <= 1
  if (bucketOnly) {
    if (method === 'GET' && q.has('uploads')) return 'LIST_UPLOADS'
    if (method === 'GET' && q.has('location')) return 'GET_BUCKET_LOCATION'
    if (method === 'GET') return 'LIST'
    if (method === 'HEAD') return 'HEAD_BUCKET'
    if (method === 'POST' && q.has('delete')) return 'DELETE_MULTI'
    return `${method}_BUCKET`
  }
  if (method === 'PUT' && headers['x-amz-copy-source']) return q.has('partNumber') ? 'COPY_PART' : 'COPY'
  if (method === 'PUT' && q.has('partNumber')) return 'PUT_PART'
  if (method === 'POST' && q.has('uploads')) return 'CREATE_MULTIPART'
  if (method === 'POST' && q.has('uploadId')) return 'COMPLETE_MULTIPART'
  if (method === 'DELETE' && q.has('uploadId')) return 'ABORT_MULTIPART'
  return method
}

const server = createServer((req, res) => {
  if (req.url === '/__counts') {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(counts))
    return
  }
  if (req.url === '/__reset') {
    counts = {}
    res.writeHead(204)
    res.end()
    return
  }
  const op = classify(req.method ?? 'GET', req.url ?? '/', req.headers)
  counts[op] = (counts[op] ?? 0) + 1
  const up = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
    (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers)
      upRes.pipe(res)
    },
  )
  up.on('error', () => res.destroy())
  req.pipe(up)
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(`${typeof address === 'object' && address ? address.port : ''}\n`)
})
process.on('SIGTERM', () => process.exit(0))
