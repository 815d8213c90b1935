// @ts-check
// Deterministic benchmark trees: the same seed gives the same paths, sizes, mtimes and bytes.

import { closeSync, mkdirSync, openSync, readdirSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs'
import path from 'node:path'
import { deriveSeed, Prng } from './prng.mjs'

/**
 * One file of a tree: where, how big, its mtime (whole seconds, so every tool keeps it exactly)
 * and the seed of its bytes.
 * @typedef {{ path: string, size: number, mtimeS: number, seed: number }} FileSpec
 */

/** mtimes start here (2023-11-14), one second apart, so they never depend on the clock. */
export const BASE_MTIME_S = 1_700_000_000
/** Changed files get mtimes from here on, well clear of the originals. */
const CHANGED_MTIME_S = BASE_MTIME_S + 50_000_000
const KiB = 1024
const MiB = 1024 * KiB
/** Large files are written in chunks of this size. */
const CHUNK = 4 * MiB

/**
 * `files` files of `minBytes`–`maxBytes` (uniform) spread evenly over `dirs` directories
 * (`d0000/f000000.bin`, …).
 * @param {{ files: number, dirs: number, seed: number, minBytes?: number, maxBytes?: number }} o
 * @returns {FileSpec[]}
 */
export function smallFilesTree({ files, dirs, seed, minBytes = 1 * KiB, maxBytes = 8 * KiB }) {
  const rng = new Prng(seed)
  const perDir = Math.ceil(files / dirs)
  return Array.from({ length: files }, (_, i) => ({
    path: `d${pad(Math.floor(i / perDir), 4)}/f${pad(i, 6)}.bin`,
    size: rng.int(minBytes, maxBytes),
    mtimeS: BASE_MTIME_S + i,
    seed: deriveSeed(seed, i),
  }))
}

/**
 * A mixed tree: big files (the largest `maxBytes`, 256 MiB by default), medium ones and many
 * small ones, like a project directory with media in it. About 2.1 × `maxBytes` in all.
 * @param {{ seed: number, maxBytes?: number }} o
 * @returns {FileSpec[]}
 */
export function mixedTree({ seed, maxBytes = 256 * MiB }) {
  const rng = new Prng(seed)
  /** @type {FileSpec[]} */
  const specs = []
  const add = (/** @type {string} */ p, /** @type {number} */ size) =>
    specs.push({ path: p, size, mtimeS: BASE_MTIME_S + specs.length, seed: deriveSeed(seed, specs.length) })
  add('media/huge.bin', maxBytes)
  for (let i = 0; i < 2; i++) add(`media/large-${i}.bin`, maxBytes / 4)
  for (let i = 0; i < 4; i++) add(`media/medium-${i}.bin`, maxBytes / 16)
  for (let i = 0; i < 16; i++) add(`assets/m${pad(i, 2)}.bin`, rng.int(maxBytes / 512, maxBytes / 128))
  for (let i = 0; i < 64; i++) add(`assets/s${pad(i, 2)}.bin`, rng.int(64 * KiB, 512 * KiB))
  for (let i = 0; i < 2000; i++) add(`src/p${pad(i % 40, 2)}/f${pad(i, 4)}.bin`, rng.int(1 * KiB, 64 * KiB))
  return specs
}

/**
 * Writes every file of `specs` below `root` (created if needed), with its mtime.
 * @param {string} root
 * @param {readonly FileSpec[]} specs
 */
export function writeTree(root, specs) {
  const made = new Set()
  for (const spec of specs) {
    const dir = path.dirname(path.join(root, spec.path))
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true })
      made.add(dir)
    }
    writeSpec(root, spec)
  }
}

/**
 * Writes one file: its bytes from its seed, then its mtime.
 * @param {string} root
 * @param {FileSpec} spec
 */
export function writeSpec(root, spec) {
  const file = path.join(root, spec.path)
  const rng = new Prng(spec.seed)
  const fd = openSync(file, 'w')
  try {
    const buf = new Uint8Array(Math.min(CHUNK, spec.size))
    for (let left = spec.size; left > 0; left -= buf.length) {
      const part = left >= buf.length ? buf : buf.subarray(0, left)
      rng.fill(part)
      writeSync(fd, part)
    }
  } finally {
    closeSync(fd)
  }
  utimesSync(file, spec.mtimeS, spec.mtimeS)
}

/**
 * Rewrites `fraction` of the files (chosen by `seed`) with new bytes, a new size within the
 * tree's range and a new mtime; updates `specs` in place. Returns the changed specs.
 * @param {string} root
 * @param {FileSpec[]} specs
 * @param {number} fraction
 * @param {number} seed
 */
export function changeSome(root, specs, fraction, seed) {
  const rng = new Prng(seed)
  const sizes = specs.map((s) => s.size)
  const [min, max] = [Math.min(...sizes), Math.max(...sizes)]
  const changed = []
  for (const i of rng.sample(specs.length, Math.round(specs.length * fraction))) {
    const old = /** @type {FileSpec} */ (specs[i])
    const spec = { ...old, size: rng.int(min, max), mtimeS: CHANGED_MTIME_S + (seed % 1_000_000), seed: rng.next() }
    writeSpec(root, spec)
    specs[i] = spec
    changed.push(spec)
  }
  return changed
}

/**
 * Deletes `fraction` of the files (chosen by `seed`). Returns the deleted specs (to restore them
 * with `writeTree` later); `specs` is left as it was.
 * @param {string} root
 * @param {readonly FileSpec[]} specs
 * @param {number} fraction
 * @param {number} seed
 */
export function deleteSome(root, specs, fraction, seed) {
  const rng = new Prng(seed)
  const deleted = rng
    .sample(specs.length, Math.round(specs.length * fraction))
    .map((i) => /** @type {FileSpec} */ (specs[i]))
  for (const spec of deleted) rmSync(path.join(root, spec.path))
  return deleted
}

/**
 * Every regular file below `root`: relative path → `size:mtimeS`. Directories are walked, not listed.
 * @param {string} root
 * @returns {Map<string, string>}
 */
export function listTree(root) {
  /** @type {Map<string, string>} */
  const out = new Map()
  const walk = (/** @type {string} */ dir, /** @type {string} */ prefix) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix === '' ? d.name : `${prefix}/${d.name}`
      const full = path.join(dir, d.name)
      if (d.isDirectory()) walk(full, rel)
      else if (d.isFile()) {
        const st = statSync(full)
        out.set(rel, `${st.size}:${Math.floor(st.mtimeMs / 1000)}`)
      } else out.set(rel, d.isSymbolicLink() ? 'symlink' : 'other')
    }
  }
  walk(root, '')
  return out
}

/**
 * The first difference between two listings of `listTree`, or `undefined` when they are equal
 * (same paths, sizes and whole-second mtimes).
 * @param {Map<string, string>} expected
 * @param {Map<string, string>} actual
 */
export function treeDifference(expected, actual) {
  for (const [p, facts] of expected) {
    const got = actual.get(p)
    if (got === undefined) return `missing ${p}`
    if (got !== facts) return `${p}: expected size:mtime ${facts}, found ${got}`
  }
  for (const p of actual.keys()) if (!expected.has(p)) return `extra ${p}`
  return undefined
}

/**
 * Total bytes of a tree spec.
 * @param {readonly FileSpec[]} specs
 */
export function totalBytes(specs) {
  return specs.reduce((n, s) => n + s.size, 0)
}

/**
 * @param {number} n
 * @param {number} width
 */
function pad(n, width) {
  return String(n).padStart(width, '0')
}
