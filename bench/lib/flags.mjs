// @ts-check
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'

/**
 * @typedef {{ type: 'string' | 'boolean', multiple?: boolean, default?: string | boolean | string[] }} FlagSpec
 * @typedef {Record<string, string | boolean | (string | boolean)[] | undefined>} Flags
 */

/**
 * The flags of a benchmark script, by node:util's parseArgs: `--help` prints the usage (each flag
 * with its default; what they mean is in the suite's README) and exits 0; a flag it does not know,
 * or one without its value, is one line and the usage on stderr, exit 2, never a stack trace.
 * @param {string} command how the script is run, e.g. `node bench/run.mjs`
 * @param {Record<string, FlagSpec>} options
 * @param {string[]} [argv]
 * @returns {Flags}
 */
export function parseFlags(command, options, argv = process.argv.slice(2)) {
  const usage = [
    `usage: ${command} [flags]   (see the suite's README.md for what each one does)`,
    ...Object.entries(options).map(([name, spec]) => {
      const dflt = Array.isArray(spec.default) ? spec.default.join(' ') : spec.default
      const shown = dflt !== undefined && dflt !== false && dflt !== '' ? `   [${dflt}]` : ''
      return `  --${name}${spec.type === 'string' ? ' VALUE' : ''}${spec.multiple ? ' (repeatable)' : ''}${shown}`
    }),
  ].join('\n')
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage}\n`)
    process.exit(0)
  }
  try {
    return parseArgs({ args: argv, options, allowPositionals: false }).values
  } catch (err) {
    badFlag(`${err instanceof Error ? err.message : String(err)}\n${usage}`)
  }
}

/**
 * A flag value the script cannot use: one message on stderr, exit 2.
 * @param {string} message
 * @returns {never}
 */
export function badFlag(message) {
  process.stderr.write(`bench: ${message}\n`)
  process.exit(2)
}

/** The file a benchmark leaves in its --data directory, so that a later run knows it may empty it. */
export const DATA_MARK = '.syncflow-bench-data'

/**
 * Checks that `--data DIR` may be emptied: it does not exist, is empty, is the suite's default
 * (`.bench-data/<suite>`, gitignored), or holds the mark a benchmark leaves there. Anything else is
 * a usage error (exit 2) before anything is installed, built or removed: the script empties DIR
 * first, and `--data .` or `--data ~` (a typo, a habit from another tool) would otherwise delete
 * the repository or a home directory without a word.
 * @param {string} dir the resolved --data directory
 * @param {string} defaultDir the suite's default
 */
export function checkDataDir(dir, defaultDir) {
  if (path.resolve(dir) === path.resolve(defaultDir)) return
  let names
  try {
    names = readdirSync(dir)
  } catch (err) {
    const code = /** @type {NodeJS.ErrnoException} */ (err).code
    if (code === 'ENOENT') return
    if (code === 'ENOTDIR') badFlag(`--data ${dir}: not a directory`)
    throw err
  }
  if (names.length === 0 || names.includes(DATA_MARK)) return
  badFlag(
    `--data ${dir}: the benchmark empties its data directory first, and this one holds files it did not make (${names.length} entries, no ${DATA_MARK}): give a new or empty directory`,
  )
}

/**
 * Empties the --data directory (after `checkDataDir`) and marks it as a benchmark's.
 * @param {string} dir
 */
export function resetDataDir(dir) {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, DATA_MARK), 'made by a syncflow benchmark: emptied by the next run\n')
}

/**
 * A whole-number flag (`--reps 5`), at least `min`: anything else is a usage error (exit 2) before
 * the script does anything. `Number('5x')` was NaN, and a loop `rep < NaN` runs no repetition: a
 * typo gave minutes of data generation, then a table of nothing.
 * @param {Record<string, unknown>} flags
 * @param {string} name the flag without its dashes
 * @param {number} [min]
 * @returns {number}
 */
export function wholeFlag(flags, name, min = 1) {
  const raw = String(flags[name])
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isSafeInteger(n) || n < min) badFlag(`--${name} ${raw}: give a whole number, at least ${min}`)
  return n
}
