import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, expectUsageError, runCli } from './helpers/cli.js'

// Review of the command-line contract (design §8): behaviours a user or a script would call wrong.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())

describe('a value given to a flag that takes none', () => {
  // `--dry-run=false` (a script's habit from other CLIs) was refused, rightly, but with the hint of
  // other commands' flags: "--dry-run is a flag of copy, move, … not of `syncflow sync`: drop it
  // here", of a flag sync takes; `check --checksum=1` was told check "only compares".
  it.each([
    ['sync', '--dry-run=false', '--dry-run'],
    ['check', '--checksum=1', '--checksum'],
    ['sync', '--no-state=1', '--no-state'],
    ['bisync', '--json=true', '--json'],
  ])('%s a b %s says the flag takes no value, not that the command lacks it', async (command, flag, name) => {
    const r = await runCli([command, 'a', 'b', flag])
    expectUsageError(r, `${name} takes no value`)
    expect(r.stderr).not.toContain('is a flag of')
    expect(r.stderr).not.toContain('drop it here')
  })

  it('a flag the command does not take, with a value, still names the commands that do', async () => {
    const r = await runCli(['copy', 'a', 'b', '--delete-excluded=1'])
    expectUsageError(r, '--delete-excluded is a flag of sync')
  })
})
