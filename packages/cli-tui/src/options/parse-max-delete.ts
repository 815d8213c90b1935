import type { MaxDelete } from '@syncflow/core'

/** Parses `--max-delete N|P%`: a count (`100`) or a percentage of the target's files (`10%`). */
export function parseMaxDelete(value: string): MaxDelete {
  const v = value.trim()
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(v)
  if (percent?.[1] !== undefined) {
    const p = Number(percent[1])
    if (p <= 100) return { percent: p }
  } else if (/^\d+$/.test(v) && Number.isSafeInteger(Number(v))) {
    return { count: Number(v) }
  }
  throw new Error('Use a number of files such as 100, or a percentage from 0% to 100% such as 10%.')
}
