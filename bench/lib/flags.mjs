// @ts-check
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
