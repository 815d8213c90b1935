import { usageError } from '../errors/usage-error.js'
import { unexpandedTilde } from './unexpanded-tilde.js'

/**
 * Refuses a local path that starts with a `~` or `~user` no shell expanded: `'~/backup'` quoted,
 * `--backup-dir=~/old` (bash expands a `~` after `=` only in a variable assignment), or any path in a
 * config file, which no shell reads. Taken as it is, it named a directory `~` (`~user`) in the
 * current directory (or beside the config file), made silently for a target or a `--backup-dir`: a
 * backup that was not where the user looked, and a `./~` whose `rm -rf ~` removes the home
 * directory (QA 32a). A directory really named so is written `./~`. `what` names the value in the
 * message (`the target`, `--state`, `config file F: "backup-dir"`); `where` says how it came
 * unexpanded.
 * @throws SyncError `USAGE`
 */
export function assertTildeExpanded(what: string, value: string, where = SHELL): void {
  const tilde = unexpandedTilde(value)
  if (tilde === undefined) return
  const { prefix, user, rest, home } = tilde
  const named = `for a directory named ${prefix}, write ./${value}.`
  // A shell leaves `~nobody/x` as it is when it knows no such user: that is no quoting mistake.
  if (home === undefined) {
    throw usageError(
      `${what} ${JSON.stringify(value)} starts with ${prefix}, and no user ${JSON.stringify(user)} is known here whose home directory it could be`,
      `Write the path in full (check the user's name); ${named}`,
    )
  }
  const whose = user === '' ? 'your home directory' : `the home directory of ${user}`
  throw usageError(
    `${what} ${JSON.stringify(value)} starts with ${prefix}, which is not ${whose} here: ${where}`,
    `Write the path in full: ${JSON.stringify(`${home}${rest}`)}; ${named}`,
  )
}

const SHELL =
  'a shell expands ~ only at the start of an unquoted word (not in quotes, nor after --flag=), and syncflow does not'
