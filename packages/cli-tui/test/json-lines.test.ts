import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { cleanupTempDirs, jsonLines, killedAfterEach, startCli, tempDir } from './helpers/cli.js'

// The watch tests parse the --json output of a binary still running: a pipe read can end in the
// middle of a line (17 of 61 reads of a watch's burst did, fl33), whose rest comes with the next.

const running = killedAfterEach()
afterAll(() => cleanupTempDirs())

it('jsonLines of a running binary parses its complete lines only; every line once its output is closed', async () => {
  const go = join(await tempDir(), 'go')
  execFileSync('mkfifo', [go])
  // A line cut in two, as between two reads of the pipe; its rest comes once the test lets it go.
  const r = startCli([], { script: `printf '{"type":"a"}\\n{"type":'; read _ < '${go}'; printf '"b"}\\n'` })
  running.push(r)
  await expect.poll(() => r.stdout()).toBe('{"type":"a"}\n{"type":')
  expect(() => jsonLines(r.stdout())).toThrow(SyntaxError)
  expect(jsonLines(r)).toEqual([{ type: 'a' }])
  await writeFile(go, 'go\n')
  expect((await r.exited).code).toBe(0)
  expect(jsonLines(r)).toEqual([{ type: 'a' }, { type: 'b' }])
})

it('jsonLines of a binary whose output is closed refuses a last line cut short', async () => {
  const r = startCli([], { script: `printf '{"type":"a"}\\n{"type":'` })
  await r.exited
  expect(() => jsonLines(r)).toThrow(SyntaxError)
})
