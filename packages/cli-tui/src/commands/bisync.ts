import type { ExitCode } from '../errors/exit-codes.js'
import { notAvailable } from './not-available.js'

/** `syncflow bisync A B`: two-way sync. Not built yet: exits 2 (usage) with a message. */
export function bisyncCommand(): ExitCode {
  return notAvailable('bisync', 'Meanwhile, `syncflow sync A B` keeps B equal to A one way.')
}
