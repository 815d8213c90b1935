/**
 * Hides a password in a URI before it appears in a message: in its user info, and in a query
 * parameter, which PostgreSQL's URIs take too (`postgres://me@host/db?password=…`, as libpq does):
 * that one was printed as given, in the error and in `--json` (QA 29c).
 */
export function redactLocation(location: string): string {
  return (
    location
      // Up to the last '@' before the host's end, as a URL parser reads it: a password may hold an
      // '@', and only the part before its first one was hidden ('me:***@ss@host').
      .replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/@:]*):[^/?#]*@/, '$1:***@')
      .replace(/([?&][^=&#]*(?:pass|secret|token)[^=&#]*=)[^&#]*/gi, '$1***')
  )
}
