import { readFileSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'

/** A path's leading `~` or `~user` that no shell expanded, and what a shell would have made of it. */
export interface UnexpandedTilde {
  /** `~` or `~user`: the path up to its first `/`. */
  readonly prefix: string
  /** The user named (`''` for a bare `~`: the one running syncflow). */
  readonly user: string
  /** The rest of the path from its first `/` (`''` for none). */
  readonly rest: string
  /** That user's home directory; `undefined` when no such user is known here. */
  readonly home: string | undefined
}

/**
 * The tilde-prefix that `value` starts with, as a shell would read it (`~`, `~/x`, `~user/x`), or
 * `undefined` when it starts with none. `'~user/x'` quoted (or after `--flag=`) reaches syncflow as
 * it is, which without this made a directory named `~user` in the current directory, as a bare `~`
 * did (QA 32a).
 */
export function unexpandedTilde(value: string): UnexpandedTilde | undefined {
  const m = /^~([^/]*)(\/.*)?$/s.exec(value)
  if (m === null) return undefined
  const user = m[1] ?? ''
  return { prefix: `~${user}`, user, rest: m[2] ?? '', home: homeOf(user) }
}

/**
 * A user's home directory as a shell finds it: `$HOME` (`homedir`) for oneself, else the user's
 * line in /etc/passwd. Users known only through NSS (LDAP, sssd) are not found: the message then
 * asks for the path in full, which is all a lookup would have saved.
 */
function homeOf(user: string): string | undefined {
  if (user === '') return homedir()
  if (user === currentUser()) return homedir()
  let passwd: string
  try {
    passwd = readFileSync('/etc/passwd', 'utf8')
  } catch {
    return undefined
  }
  for (const line of passwd.split('\n')) {
    const fields = line.split(':')
    if (fields[0] === user && fields.length >= 7) return fields[5] || undefined
  }
  return undefined
}

function currentUser(): string | undefined {
  try {
    return userInfo().username
  } catch {
    // A uid without a passwd entry (a container's --user 1234) has no name to match.
    return undefined
  }
}
