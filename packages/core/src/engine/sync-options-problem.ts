import { redactLocation } from '../util/redact-location.js'
import type { SyncOptions } from './sync-options.js'

/** Every key of `SyncOptions`, to catch a misspelt one (`dryrun` for `dryRun`). */
const KNOWN_KEYS: readonly (keyof SyncOptions)[] = [
  'mode',
  'dryRun',
  'compare',
  'modifyWindowMs',
  'ignoreExisting',
  'skipNewer',
  'maxSize',
  'minSize',
  'maxAgeMs',
  'minAgeMs',
  'concurrency',
  'filter',
  'excludeIfPresent',
  'onMarked',
  'deleteExcluded',
  'maxDelete',
  'allowEmptySource',
  'deleteBefore',
  'backupTo',
  'linkDest',
  'removeSourceFiles',
  'removeEmptySourceDirs',
  'keepSourcePaths',
  'hardLinks',
  'backupSuffix',
  'backupSuffixKeepsExtension',
  'state',
  'retries',
  'retryDelayMs',
  'bwlimit',
  'statsIntervalMs',
  'signal',
  'scheduler',
  'emitPlanned',
  'checkUpdated',
  'blockSize',
]

/** Options that are counts, sizes or durations: a number, not negative (NaN is none). */
const NON_NEGATIVE: readonly (keyof SyncOptions)[] = [
  'modifyWindowMs',
  'maxSize',
  'minSize',
  'maxAgeMs',
  'minAgeMs',
  'retries',
  'retryDelayMs',
  'bwlimit',
  'statsIntervalMs',
  'blockSize',
]

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v))

/**
 * What is wrong with the options a library caller gave `sync` or `check`, or undefined. The CLI
 * parses its flags into valid options; a script's were taken as they came (QA 30c): `mode:
 * 'mirorr'` ran a copy that deleted nothing, `dryRun` misspelt `dryrun` ran for real,
 * `concurrency: NaN` threw Node's RangeError out of the Observable (documented to end with `done`
 * instead), and `maxDelete: '150%'` failed the run's deletes as "UNKNOWN … a bug in syncflow".
 * Keys it does not know are let through (the continuous engine passes its own), but one that is a
 * known key in other letter case is a typo that would silently change what the run does.
 */
export function syncOptionsProblem(options: SyncOptions, checkOnly: boolean): string | undefined {
  const given = options as unknown as Record<string, unknown>
  for (const key of Object.keys(given)) {
    const meant = KNOWN_KEYS.find((k) => k !== key && k.toLowerCase() === key.toLowerCase())
    if (meant !== undefined) return `unknown option '${key}': did you mean '${meant}'?`
  }
  if (options.mode !== 'mirror' && options.mode !== 'copy')
    return `mode must be 'mirror' or 'copy', not ${show(options.mode)}`
  if (!checkOnly && options.dryRun !== undefined && typeof options.dryRun !== 'boolean')
    return `dryRun must be true or false, not ${show(options.dryRun)}`
  const compare = options.compare
  if (compare !== undefined && compare !== 'size-mtime' && compare !== 'checksum' && compare !== 'size-only')
    return `compare must be 'size-mtime', 'checksum' or 'size-only', not ${show(compare)}`
  const c = options.concurrency
  if (c !== undefined && !(typeof c === 'number' && Number.isInteger(c) && c >= 1))
    return `concurrency must be a whole number of at least 1, not ${show(c)}`
  for (const key of NON_NEGATIVE) {
    const v = given[key]
    if (v !== undefined && !(typeof v === 'number' && v >= 0))
      return `${key} must be a number of at least 0, not ${show(v)}`
  }
  const md = options.maxDelete as unknown
  if (md !== undefined) {
    const count = typeof md === 'object' && md !== null && 'count' in md ? md.count : undefined
    const percent = typeof md === 'object' && md !== null && 'percent' in md ? md.percent : undefined
    const countOk = typeof count === 'number' && Number.isInteger(count) && count >= 0
    const percentOk = typeof percent === 'number' && percent >= 0 && percent <= 100
    if (!countOk && !percentOk)
      return `maxDelete must be { count: N } (a whole number, at least 0) or { percent: P } (0 to 100), not ${
        typeof md === 'object' ? JSON.stringify(md) : show(md)
      }`
  }
  // Objects of the library's own making, given as what they are made from (QA 30c): a filter
  // `{ exclude: ['*.tmp'] }` failed the listing as UNKNOWN "filter.isExcluded is not a function …
  // a bug in syncflow", a state `'./state.sqlite'` failed each file after copying it, and a signal
  // that is no AbortSignal (or a filter null) threw out of the Observable.
  const hasMethods = (v: unknown, ...names: string[]): boolean =>
    typeof v === 'object' && v !== null && names.every((n) => typeof (v as Record<string, unknown>)[n] === 'function')
  if (options.filter !== undefined && !hasMethods(options.filter, 'isExcluded', 'canPrune'))
    return `filter must be a PathFilter, made by createPathFilter({ exclude: [...], include: [...] }), not ${describe(options.filter)}`
  if (options.state !== undefined && !hasMethods(options.state, 'getMany', 'close'))
    return `state must be a StateStore (new MemoryStateStore(), or openStateStore(…)), not ${describe(options.state)}`
  if (options.signal !== undefined && !hasMethods(options.signal, 'addEventListener'))
    return `signal must be an AbortSignal (new AbortController().signal), not ${describe(options.signal)}`
  if (options.backupTo !== undefined && !hasMethods(options.backupTo, 'write', 'stat'))
    return `backupTo must be a Backend (e.g. createLocalBackend({ root })), not ${describe(options.backupTo)}`
  if (
    options.linkDest !== undefined &&
    (!Array.isArray(options.linkDest) || !options.linkDest.every((b: unknown) => hasMethods(b, 'stat', 'list')))
  )
    return `linkDest must be an array of Backends (e.g. [createLocalBackend({ root: '../2026-12-06' })]), not ${describe(options.linkDest)}`
  if (options.removeSourceFiles !== undefined && typeof options.removeSourceFiles !== 'boolean')
    return `removeSourceFiles must be true or false, not ${show(options.removeSourceFiles)}`
  if (options.removeEmptySourceDirs === true && options.removeSourceFiles !== true)
    return 'removeEmptySourceDirs goes with removeSourceFiles: only a move leaves source directories empty'
  // A mirror after a move deletes from the target every file the move took from the source.
  if (options.removeSourceFiles === true && options.mode === 'mirror' && !checkOnly)
    return "removeSourceFiles needs mode 'copy': a mirror's next run would delete from the target every file this one removed from the source"
  return undefined
}

/** Keys whose values are never shown: a backend's or a store's options carry credentials. */
const SECRET_KEY = /pass|secret|token|credential|auth|key/i

/**
 * `v` as a message shows it, without the secrets a script may have put there: a state given as its
 * URL (`'postgres://me:pw@db/sync'`), a backupTo given as a backend's options (`{ uri, token }`)
 * were printed whole in the done's fatal, so in --json, logs and webhooks.
 */
function describe(v: unknown): string {
  if (typeof v === 'string') return show(redactLocation(v))
  if (typeof v !== 'object' || v === null) return show(v)
  try {
    return JSON.stringify(v, (key, value: unknown) =>
      key !== '' && SECRET_KEY.test(key) ? '***' : typeof value === 'string' ? redactLocation(value) : value,
    )
  } catch {
    return 'an object of another kind'
  }
}
