import type { Command } from 'commander'
import { BISYNC_FLAGS, FLAG_TABLE } from './flag-table.js'

/** What a two-way watch takes beyond the flags of `bisync`: the continuous job's own. */
const WATCH_OWN: ReadonlySet<string> = new Set([
  '--bisync',
  '--debounce',
  '--rescan',
  '--poll-interval',
  '--webhook',
  '--metrics',
])

/** A flag of a `watch` command line that does not go with the others: what is wrong and what to do. */
export interface FlagProblem {
  readonly message: string
  readonly hint: string
}

/**
 * What is wrong with the flags typed on a `watch` command line: `--conflict` without `--bisync`,
 * or with `--bisync` a flag of one-way sync only (`--mode`, `--update`,
 * `--delete-excluded`, `--backup-dir` …), which a two-way run would otherwise drop in silence.
 * `own`: the command's other flags that go with `--bisync` (`ui`'s --watch). Only flags typed are asked about: a config file serves all of a job's commands, and its keys
 * that a two-way run does not read are left out as another command's are.
 */
export function watchFlagProblem(cmd: Command, own: readonly string[] = []): FlagProblem | undefined {
  const typed = (attribute: string): boolean => cmd.getOptionValueSource(attribute) === 'cli'
  if (cmd.getOptionValue('bisync') !== true) {
    if (!typed('conflict')) return undefined
    return {
      message: '--conflict applies to two-way sync only',
      hint: `Add --bisync for a two-way watch (syncflow ${cmd.name()} A B --bisync --conflict …), or drop --conflict.`,
    }
  }
  if (typed('mode')) {
    return {
      message: '--mode and --bisync both given',
      hint: 'Two-way sync carries changes both ways, deletes included: drop --mode (or --bisync, for one-way sync).',
    }
  }
  const takes = new Set([...BISYNC_FLAGS.map((name) => FLAG_TABLE[name]().long), ...WATCH_OWN, ...own])
  for (const o of cmd.options) {
    if (o.long === undefined || takes.has(o.long)) continue
    // (--no-state shares its attribute with --state, which a two-way run takes: it refuses --no-state itself.)
    if (o.negate && takes.has(o.long.replace(/^--no-/, '--'))) continue
    if (!typed(o.attributeName())) continue
    return {
      message: `${o.long} does not apply to ${cmd.name()} --bisync`,
      hint: `Two-way sync takes the flags of 'syncflow bisync' (see syncflow bisync --help)${cmd.name() === 'ui' ? ', --watch' : ''} and --debounce, --rescan, --poll-interval, --webhook, --metrics: drop it.`,
    }
  }
  return undefined
}
