// @ts-check
// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): where the time went, by function (self
// time) and by file or package, as percentages of the profile's duration.

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * @typedef {{ functionName: string, url: string, lineNumber: number }} CallFrame
 * @typedef {{ id: number, callFrame: CallFrame, children?: number[] }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }} CpuProfile
 */

/**
 * A short name for a script URL: the path inside the repository, `pkg@node_modules`, or `node:…`.
 * @param {string} url
 * @param {string} root
 */
function shortUrl(url, root) {
  if (url === '') return ''
  let p = url
  if (p.startsWith('file://')) p = fileURLToPath(p)
  const nm = p.lastIndexOf('/node_modules/')
  if (nm >= 0) {
    const rest = p.slice(nm + '/node_modules/'.length).split('/')
    const pkg = rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
    return `${pkg}: ${rest.slice(pkg?.startsWith('@') ? 2 : 1).join('/')}`
  }
  return p.startsWith(root) ? p.slice(root.length) : p
}

/**
 * The file (or package) a script URL belongs to, for the per-area totals.
 * @param {string} url
 * @param {string} root
 */
function areaOf(url, root) {
  const s = shortUrl(url, root)
  if (s === '') return ''
  const colon = s.indexOf(': ')
  return colon >= 0 && !s.startsWith('node:') ? `${s.slice(0, colon)} (package)` : s
}

/**
 * A broad category for a sample, from its own frame and its callers: module loading (anything
 * below Node's module loader), garbage collection, idle, native calls, rxjs, or the package.
 * @param {ProfileNode} node
 * @param {Map<number, number>} parentOf
 * @param {Map<number, ProfileNode>} byId
 * @param {string} root
 */
function categoryOf(node, parentOf, byId, root) {
  const { functionName: fn, url } = node.callFrame
  if (fn === '(idle)') return 'idle (waiting for I/O or timers)'
  if (fn === '(garbage collector)') return 'garbage collection'
  if (fn === '(program)') return '(program: native, unattributed)'
  for (let id = /** @type {number | undefined} */ (node.id); id !== undefined; id = parentOf.get(id)) {
    const u = byId.get(id)?.callFrame.url ?? ''
    if (u.startsWith('node:internal/modules/') || u.startsWith('node:internal/deps/cjs-module-lexer')) {
      return 'module loading (startup)'
    }
  }
  if (url === '') return `native ${fn}()`
  const s = shortUrl(url, root)
  if (s.startsWith('rxjs: ')) return 'rxjs'
  const pkg = /^packages\/([^/]+)\//.exec(s)?.[1]
  if (pkg) return `packages/${pkg}`
  if (s.startsWith('node:')) return 'node internals (other)'
  return areaOf(url, root)
}

/**
 * The top functions by self time and the top files by self time, as text.
 * @param {string} file a .cpuprofile
 * @param {{ top?: number, root?: string }} [opts] `root`: the repository, shortened away in paths
 */
export function summarizeCpuProfile(file, opts = {}) {
  const top = opts.top ?? 20
  const root = opts.root ?? ''
  /** @type {CpuProfile} */
  const prof = JSON.parse(readFileSync(file, 'utf8'))
  /** @type {Map<number, ProfileNode>} */
  const byId = new Map(prof.nodes.map((n) => [n.id, n]))
  /** @type {Map<number, number>} */
  const self = new Map()
  // timeDeltas[i] is the time between sample i-1 and sample i: charge it to sample i's node.
  for (let i = 0; i < prof.samples.length; i++) {
    const id = /** @type {number} */ (prof.samples[i])
    self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0))
  }
  const total = prof.endTime - prof.startTime
  /** @type {Map<string, number>} */
  const byFn = new Map()
  /** @type {Map<string, number>} */
  const byArea = new Map()
  /** @type {Map<string, number>} */
  const byCategory = new Map()
  /** @type {Map<number, number>} */
  const parentOf = new Map()
  for (const n of prof.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id)
  for (const [id, us] of self) {
    const cf = byId.get(id)?.callFrame
    if (!cf) continue
    const where = shortUrl(cf.url, root)
    const key =
      where === ''
        ? cf.functionName || '(anonymous)'
        : `${where}:${cf.lineNumber + 1} ${cf.functionName || '(anonymous)'}`
    byFn.set(key, (byFn.get(key) ?? 0) + us)
    const area = areaOf(cf.url, root) || cf.functionName
    byArea.set(area, (byArea.get(area) ?? 0) + us)
    const node = /** @type {ProfileNode} */ (byId.get(id))
    const cat = categoryOf(node, parentOf, byId, root)
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + us)
  }
  const pct = (/** @type {number} */ us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`
  const lines = [`total ${(total / 1000).toFixed(0)} ms of profile`, '', 'by category:']
  for (const [k, us] of [...byCategory].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(us)}  ${k}`)
  lines.push('', 'self time by function:')
  for (const [k, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(us)}  ${k}`)
  lines.push('', 'self time by file / package:')
  for (const [k, us] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(us)}  ${k}`)
  return lines.join('\n')
}

// Run directly: `node bench/lib/cpu-profile.mjs FILE.cpuprofile [TOP]`.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, topArg] = process.argv.slice(2)
  if (!file) {
    console.error('usage: node bench/lib/cpu-profile.mjs FILE.cpuprofile [TOP]')
    process.exit(2)
  }
  console.log(
    summarizeCpuProfile(file, { top: Number(topArg ?? 25), root: fileURLToPath(new URL('../../', import.meta.url)) }),
  )
}
