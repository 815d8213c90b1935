// @ts-check
// A gzdir:// plugin that misbehaves as process.env.EVIL says (plugin-API review of the CLI's handling).

import { Readable } from 'node:stream'
import { createGzdirBackend } from './gzdir-backend.mjs'

const evil = process.env.EVIL ?? ''

/** @param {any} b */
function corrupt(b) {
  switch (evil) {
    case 'list-plain-error': {
      const orig = b.list.bind(b)
      b.list = async function* (/** @type {any} */ o) {
        let n = 0
        for await (const e of orig(o)) {
          if (n++ === 1) throw new Error('disk on fire')
          yield e
        }
      }
      break
    }
    case 'list-sync-throw':
      b.list = () => {
        throw new Error('sync boom')
      }
      break
    case 'list-array':
      b.list = async () => [{ path: 'a.txt', kind: 'file', size: 1, mtimeMs: 1 }]
      break
    case 'list-unsorted': {
      const orig = b.list.bind(b)
      b.list = async function* (/** @type {any} */ o) {
        const all = []
        for await (const e of orig(o)) all.push(e)
        yield* all.reverse()
      }
      break
    }
    case 'list-hostile': {
      const orig = b.list.bind(b)
      b.list = async function* (/** @type {any} */ o) {
        yield { path: '../escape.txt', kind: 'file', size: 1, mtimeMs: 1_600_000_000_000 }
        yield* orig(o)
      }
      break
    }
    case 'list-bad-entry': {
      const orig = b.list.bind(b)
      b.list = async function* (/** @type {any} */ o) {
        for await (const e of orig(o)) yield { path: e.path, kind: 'file' }
      }
      break
    }
    case 'stat-plain-error':
      b.stat = async () => {
        throw new Error('stat exploded')
      }
      break
    case 'read-plain-error':
      b.read = async () => {
        throw new Error('read exploded')
      }
      break
    case 'read-stream-error':
      b.read = async () =>
        new Readable({
          read() {
            this.push(Buffer.alloc(10, 'x'))
            this.destroy(new Error('stream exploded'))
          },
        })
      break
    case 'read-short': {
      const orig = b.read.bind(b)
      b.read = async (/** @type {any} */ p, /** @type {any} */ r, /** @type {any} */ o) => {
        const s = await orig(p, r, o)
        let first = true
        return s.pipe(
          new (await import('node:stream')).Transform({
            transform(c, _e, cb) {
              const out = first ? c.subarray(0, 1) : undefined
              first = false
              cb(null, out)
            },
          }),
        )
      }
      break
    }
    case 'write-plain-error':
      b.write = async (/** @type {any} */ _p, /** @type {any} */ body) => {
        body.destroy()
        throw new Error('write exploded')
      }
      break
    case 'write-string-throw':
      b.write = async (/** @type {any} */ _p, /** @type {any} */ body) => {
        body.destroy()
        throw 'a string, not an Error'
      }
      break
    case 'remove-plain-error':
      b.remove = async () => {
        throw new Error('remove exploded')
      }
      break
    case 'close-throws':
      b.close = async () => {
        throw new Error('close exploded')
      }
      break
    case 'rootexists-throws':
      b.rootExists = async () => {
        throw new Error('rootExists exploded')
      }
      break
    case 'caps-missing':
      b.capabilities = { hashes: [] }
      break
    case 'write-undefined':
      {
        const orig = b.write.bind(b)
        b.write = async (/** @type {any[]} */ ...a) => {
          await orig(...a)
          return undefined
        }
      }
      break
  }
  return b
}

export default {
  name: 'evil',
  schemes: ['gzdir'],
  async open(/** @type {string} */ uri) {
    if (evil === 'open-plain-error') throw new Error('cannot open: no token')
    if (evil === 'open-undefined') return undefined
    if (evil === 'open-hang') return new Promise(() => {})
    return corrupt(createGzdirBackend({ root: uri.replace(/^gzdir:\/\//, '') }))
  },
}
