import { open } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { Command, Option } from 'commander'
import { usageError } from '../errors/usage-error.js'
import { assertTildeExpanded } from '../job/assert-tilde-expanded.js'
import { type ConfigPath, isConfigPathKey } from './assert-config-paths-readable.js'
import { takesList } from './flag-table.js'
import { bareRateWarning } from './parse-rate.js'

/**
 * The largest config file read: a JSON object of flags (a few KiB; 16 MiB holds any list of
 * patterns). The file was read whole first: `--config /dev/zero` (or a disk image named by mistake)
 * never ended, growing until memory ran out (QA 27d).
 */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024

/** The text of a config file, or an error saying it is larger than `MAX_CONFIG_BYTES`. */
async function readConfigText(file: string): Promise<string> {
  const fh = await open(file, 'r')
  try {
    const chunks: Buffer[] = []
    let size = 0
    for (;;) {
      const buf = Buffer.alloc(64 * 1024)
      const { bytesRead } = await fh.read(buf, 0, buf.length, null)
      if (bytesRead === 0) break
      size += bytesRead
      if (size > MAX_CONFIG_BYTES)
        throw new Error(`larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB: not a config file`)
      chunks.push(buf.subarray(0, bytesRead))
    }
    // A UTF-8 byte order mark (Notepad, PowerShell 5's Set-Content -Encoding UTF8) is no part of
    // the JSON: JSON.parse refused it as "Unexpected token '\uFEFF'", a character no editor shows
    // (QA 30f); Node's require() and npm drop it too.
    const bytes = Buffer.concat(chunks, size)
    // PowerShell's > and Notepad's "Unicode" write UTF-16: JSON.parse said "Unexpected token" of a garbled character
    // and quoted the file with a NUL between each two letters (QA 30f). JSON text has no NUL.
    if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || bytes.includes(0)) {
      throw new Error(
        `not UTF-8 text (UTF-16, as PowerShell's > writes it?). Save it as UTF-8 (iconv -f UTF-16 -t UTF-8)`,
      )
    }
    return bytes.toString('utf8').replace(/^\uFEFF/, '')
  } finally {
    await fh.close()
  }
}

/** What applying a config file has to tell the user. */
export interface ConfigNotes {
  /** Keys left out: flags of other commands. */
  readonly ignored: readonly string[]
  /** Values that are probably not what was meant (a bare `"bwlimit": 1000`). */
  readonly warnings: readonly string[]
  /**
   * The files the config names for a backend to read (`token-file`, `ca-file`), not checked here:
   * only a command that uses them checks them (`assertConfigPathsReadable`).
   */
  readonly paths: readonly ConfigPath[]
}

/**
 * Reads `--config FILE` (a JSON object whose keys are flag names, `"concurrency": 4` or
 * `"max-delete": "10%"`) into the command's options. Flags given on the command line win (a list
 * given there replaces the file's list). Values go through the same parsers as the flags, so a bad
 * value gets the same message, naming the file.
 *
 * One file serves every command of a job (`sync`, `check`, `ls`, `watch` …): a key of another
 * command's flag (`"max-delete"` read by `check`) is left out, and returned so that `-v` can say
 * so; a key no command takes is refused, and so is `config` (a file does not name another).
 * `otherKeys` are those flags' attribute names and file keys (`fileKeyOf`).
 * @returns the keys left out, warnings about values, and the files named for a backend to read.
 */
export async function applyConfigFile(
  cmd: Command,
  file: string,
  otherKeys: ReadonlySet<string>,
): Promise<ConfigNotes> {
  let config: unknown
  try {
    config = JSON.parse(await readConfigText(file))
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    throw usageError(
      `cannot read config file ${file}: ${why}`,
      'Give --config a JSON file such as {"exclude": ["*.tmp"]}.',
    )
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw usageError(
      `config file ${file} must hold a JSON object`,
      'For example {"concurrency": 4, "exclude": ["*.tmp"]}.',
    )
  }
  if (Object.hasOwn(config, 'config')) {
    throw usageError(
      `config file ${file}: "config" cannot be a key: a config file does not name another`,
      'Put the flags in this file, or give the other file with --config.',
    )
  }
  const options = cmd.options.filter((o) => o.attributeName() !== 'config')
  // A `--no-x` flag is the file's key "no-x" (true), or "x" (false) unless a `--x` flag has that key (`--state`).
  const positive = (o: Option) =>
    !o.negate || !cmd.options.some((p) => !p.negate && p.attributeName() === o.attributeName())
  const ignored: string[] = []
  const warnings: string[] = []
  const paths: ConfigPath[] = []
  // A store named and none asked for: which one wins was the order of the keys, silently (QA 11 #8).
  const stateKey = Object.hasOwn(config, 'state') ? (config as Record<string, unknown>).state : undefined
  if ((config as Record<string, unknown>)['no-state'] === true && stateKey !== undefined && stateKey !== false) {
    throw usageError(
      `config file ${file}: "state" and "no-state" both given (${JSON.stringify(stateKey)} and true)`,
      'Keep one of them: "state" names the state store, "no-state": true uses none.',
    )
  }
  for (const [rawKey, value] of Object.entries(config)) {
    const negated = options.find((o) => o.negate && fileKeyOf(o) === rawKey)
    if (negated) {
      const key = negated.attributeName()
      if (typeof value !== 'boolean') {
        throw usageError(
          `config file ${file}: "${rawKey}" must be true or false, not ${JSON.stringify(value)}`,
          `See: ${negated.flags}  ${negated.description}`,
        )
      }
      // `"no-state": false` is the flag not given: nothing to set.
      if (value && cmd.getOptionValueSource(key) !== 'cli') cmd.setOptionValueWithSource(key, false, 'config')
      continue
    }
    const key = attributeOf(rawKey)
    const option = options.find((o) => positive(o) && o.attributeName() === key)
    if (!option) {
      if (otherKeys.has(key) || otherKeys.has(rawKey)) {
        ignored.push(rawKey)
        continue
      }
      const known = options.map(fileKeyOf).join(', ')
      throw usageError(`unknown key "${rawKey}" in config file ${file}`, `Keys this command takes: ${known}.`)
    }
    if (cmd.getOptionValueSource(key) === 'cli') continue
    // `"state": true` is the flag not given: the default state store, as `"no-state": false` is.
    if (key === 'state' && value === true) continue
    const warning = key === 'bwlimit' ? bareRateWarning(String(value)) : undefined
    if (warning !== undefined) warnings.push(`${file}: ${warning}`)
    assertNoTilde(key, rawKey, value, file)
    const beside = pathsBeside(key, value, file)
    if (isConfigPathKey(key) && typeof beside === 'string' && beside !== '') {
      paths.push({ key, rawKey, given: String(value), path: beside, file })
    }
    cmd.setOptionValueWithSource(key, configValue(option, key, rawKey, beside, file), 'config')
  }
  return { ignored, warnings, paths }
}

/** The key a config file gives `option` as: its long flag (`max-delete`, `no-state`); `plugins` for --plugin (design §8). */
export function fileKeyOf(option: Option): string {
  return option.attributeName() === 'plugin' ? 'plugins' : (option.long ?? '').replace(/^--/, '')
}

/** A config key as a flag's attribute name: `max-delete` → `maxDelete`; `plugins` (design §8) → `plugin`. */
function attributeOf(rawKey: string): string {
  const key = rawKey.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())
  return key === 'plugins' ? 'plugin' : key
}

/**
 * A path in the file is relative to the file, not to where syncflow runs (a job run from cron finds
 * its token as its plugins): a plugin path (`./my-backend.mjs`; a bare name is a package), the
 * `token-file`, the `ca-file`, the `exclude-from`/`include-from`/`filter-from`/`files-from` files, a local `backup-dir`, and a `state` that is a file (`jobs/x.sqlite`, `sqlite:x.sqlite`).
 */
function pathsBeside(key: string, value: unknown, file: string): unknown {
  const lists =
    key === 'plugin' || key === 'excludeFrom' || key === 'includeFrom' || key === 'filterFrom' || key === 'filesFrom'
  if (typeof value !== 'string' && !(lists && Array.isArray(value))) return value
  const dir = dirname(file)
  switch (key) {
    case 'excludeFrom':
    case 'includeFrom':
    case 'filterFrom':
    // Read from where syncflow ran, a cron job's list was another file or none (QA 25a #7).
    case 'filesFrom': {
      const beside = (v: unknown) => (typeof v === 'string' && v !== '-' && v.trim() !== '' ? resolve(dir, v) : v)
      return Array.isArray(value) ? value.map(beside) : beside(value)
    }
    case 'plugin': {
      const beside = (v: unknown) => (typeof v === 'string' && /^\.\.?[\\/]/.test(v) ? resolve(dir, v) : v)
      return Array.isArray(value) ? value.map(beside) : beside(value)
    }
    case 'tokenFile':
    case 'caFile':
      return value === '' ? value : resolve(dir, value as string)
    case 'backupDir': {
      // A local directory (no scheme) beside the file, as for a job run from cron (QA 24 #11); a URI as it is.
      const text = value as string
      return text.trim() === '' || /^[a-zA-Z][a-zA-Z0-9+.-]+:\/\//.test(text) ? text : resolve(dir, text)
    }
    case 'state': {
      // As openStateStore reads it: no scheme (a drive letter is none) or sqlite: is a file, and one
      // ending in a slash a directory (the slash kept).
      const text = value as string
      const near = (p: string) => `${resolve(dir, p)}${/[\\/]$/.test(p) ? '/' : ''}`
      const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]+):/.exec(text)?.[1]?.toLowerCase()
      if (scheme === undefined) return text.trim() === '' ? text : near(text)
      if (scheme !== 'sqlite') return text
      const path = text.replace(/^sqlite:(\/\/)?/i, '')
      return path === '' ? text : `sqlite:${near(path)}`
    }
    default:
      return value
  }
}

/** The keys whose values `pathsBeside` reads as local paths. */
const PATH_KEYS = new Set([
  'excludeFrom',
  'includeFrom',
  'filterFrom',
  'filesFrom',
  'plugin',
  'tokenFile',
  'caFile',
  'backupDir',
  'state',
])

/**
 * Refuses a path of the file that starts with `~`: no shell reads a config file, so it would be a
 * directory named `~` beside it, made silently for a `backup-dir` (`assertTildeExpanded`).
 */
function assertNoTilde(key: string, rawKey: string, value: unknown, file: string): void {
  if (!PATH_KEYS.has(key)) return
  for (const v of Array.isArray(value) ? value : [value]) {
    if (typeof v !== 'string') continue
    const path = key === 'state' ? v.replace(/^sqlite:(\/\/)?/i, '') : v
    assertTildeExpanded(
      `config file ${file}: "${rawKey}"`,
      path,
      'no shell reads a config file, and syncflow does not expand ~',
    )
  }
}

/** `rawKey`: the key as the file spells it (`max-delete`), which the messages quote (QA 8 #10). */
function configValue(option: Option, key: string, rawKey: string, value: unknown, file: string): unknown {
  const takesValue = option.required || option.optional
  const bad = (what: string) =>
    usageError(`config file ${file}: "${rawKey}" ${what}`, `See: ${option.flags}  ${option.description}`)
  // `"state": false` is the file's spelling of --no-state.
  if (!takesValue || (key === 'state' && value === false)) {
    if (typeof value !== 'boolean') throw bad(`must be true or false, not ${JSON.stringify(value)}`)
    return value
  }
  // A list for a flag that takes one value was taken silently, its last item winning (QA 7 #12).
  if (Array.isArray(value) && !takesList(option)) throw bad(`takes one value, not a list: ${JSON.stringify(value)}`)
  const items = Array.isArray(value) ? value : [value]
  let parsed: unknown
  for (const item of items) {
    if (typeof item !== 'string' && typeof item !== 'number')
      throw bad(`must be a string or number, not ${JSON.stringify(item)}`)
    const text = String(item)
    if (option.argChoices && !option.argChoices.includes(text)) {
      throw bad(`is ${JSON.stringify(text)}; use one of ${option.argChoices.join(', ')}`)
    }
    try {
      parsed = option.parseArg ? option.parseArg(text, parsed) : text
    } catch (err) {
      throw bad(`has the invalid value ${JSON.stringify(text)}. ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  return parsed
}
