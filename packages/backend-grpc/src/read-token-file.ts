import { open } from 'node:fs/promises'
import { SyncError } from '@syncflow/core'

/**
 * The most of a token file read: its first line is the token, and a token is a header value (a few
 * hundred bytes at most). The file was read whole: `--token-file /dev/zero` (or a disk image named by
 * mistake) read until memory ran out before it failed (QA 27d).
 */
const MAX_HEAD_BYTES = 64 * 1024

/**
 * Reads a token file's first line, trimmed (client and `serve` alike; the caller checks the text
 * with `checkTokenText`): a USAGE error when the file cannot be read, its first line is empty, or
 * no line ends within its first 64 KiB.
 */
export async function readTokenFile(file: string): Promise<string> {
  let head: string
  let whole: boolean
  try {
    const fh = await open(file, 'r')
    try {
      const buf = Buffer.alloc(MAX_HEAD_BYTES)
      let got = 0
      let n = 0
      do {
        ;({ bytesRead: n } = await fh.read(buf, got, buf.length - got, null))
        got += n
      } while (n > 0 && got < buf.length && !buf.subarray(got - n, got).includes(0x0a))
      head = buf.subarray(0, got).toString('utf8')
      whole = n === 0 || head.includes('\n')
    } finally {
      await fh.close()
    }
  } catch (err) {
    throw new SyncError('USAGE', `--token-file ${file}: ${(err as Error).message}`, {
      hint: 'Give a readable file whose first line is the token.',
      cause: err,
    })
  }
  if (!whole) {
    throw new SyncError('USAGE', `--token-file ${file}: no line ends in its first ${MAX_HEAD_BYTES / 1024} KiB`, {
      hint: 'Give a file whose first line is the token (a token is a line of printable ASCII).',
    })
  }
  const token = head.split(/\r?\n/, 1)[0]?.trim() ?? ''
  if (token === '')
    throw new SyncError('USAGE', `--token-file ${file} is empty`, { hint: 'Put the token on its first line.' })
  return token
}
