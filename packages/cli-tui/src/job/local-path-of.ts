import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { schemeOf } from '@syncflow/core'

/** The absolute local path of a bare path or `file://` location; undefined for other schemes. */
export function localPathOf(location: string): string | undefined {
  if (schemeOf(location) !== 'file') return undefined
  return location.startsWith('file://') ? fileURLToPath(location) : resolve(location)
}
