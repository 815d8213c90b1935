import { SyncError } from '@syncflow/core'

/**
 * The token as it travels, trimmed as a token file's line is (a header loses the blanks around a
 * value: `serve --token ' abc '` then took no client's token, neither ' abc ' nor 'abc'), checked
 * to be there (blanks alone were sent as an empty token) and to travel: it goes in an HTTP/2 header (`authorization: Bearer <token>`),
 * which carries printable ASCII only. A token with another character (`pässwörd`, a tab) was taken
 * by `serve` and then sent by no client: grpc-js refused to build the header, and the client said
 * "internal error … a bug in syncflow". USAGE, naming where the token came from (`--token`, …).
 */
export function checkTokenText(token: string, from: string): string {
  // Trimmed first, as a token file's line is (a tab or line break around it goes too), then checked.
  const trimmed = token.trim()
  if (trimmed === '') {
    throw new SyncError('USAGE', `${from}: the token is empty`, { hint: 'Pass a non-empty token.' })
  }
  const bad = /[^ -~]/.exec(trimmed)
  if (bad !== null) {
    throw new SyncError(
      'USAGE',
      `${from}: the token has a character a header cannot carry (${JSON.stringify(bad[0])})`,
      {
        hint: 'A token may hold printable ASCII only (letters, digits, punctuation): `openssl rand -hex 32` makes one.',
      },
    )
  }
  return trimmed
}
