import { homedir } from 'node:os'
import { usageError } from '../errors/usage-error.js'

/**
 * Refuses a local path that starts with a `~` no shell expanded: `'~/backup'` quoted,
 * `--backup-dir=~/old` (bash expands a `~` after `=` only in a variable assignment), or any path in a
 * config file, which no shell reads. Taken as it is, it named a directory `~` in the current
 * directory (or beside the config file), made silently for a target or a `--backup-dir`: a backup
 * that was not where the user looked, and a `./~` whose `rm -rf ~` removes the home directory
 * (QA 32a). A directory really named so is written `./~`. `what` names the value in the message
 * (`the target`, `--state`, `config file F: "backup-dir"`); `where` says how it came unexpanded.
 * @throws SyncError `USAGE`
 */
export function assertTildeExpanded(what: string, value: string, where = SHELL): void {
  const rest = /^~(\/.*)?$/s.exec(value)?.[1]
  if (rest === undefined && value !== '~') return
  const home = homedir()
  throw usageError(
    `${what} ${JSON.stringify(value)} starts with ~, which is not your home directory here: ${where}`,
    `Write the path in full: ${JSON.stringify(`${home}${rest ?? ''}`)}; for a directory named ~, write ./${value}.`,
  )
}

const SHELL =
  'a shell expands ~ only at the start of an unquoted word (not in quotes, nor after --flag=), and syncflow does not'
