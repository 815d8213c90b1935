import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  jsonLines,
  killedAfterEach,
  readTree,
  runCli,
  startServe,
  tempDir,
  writeTree,
} from './helpers/cli.js'

// QA 29a: a FIFO on a syncflow server given as the source (or to ls) was said not to exist,
// although it does; a local one has said what it is since QA 23 #9.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

it('a FIFO on a syncflow server as the source (or to ls) is exit 2 saying it is a FIFO, not "does not exist"', async () => {
  const root = await tempDir()
  const [served, dst, state] = [join(root, 'served'), join(root, 'dst'), join(root, 'state')]
  await writeTree(served, { 'd/f': 'f' })
  await writeTree(dst, { 'keep.txt': 'keep' })
  execFileSync('mkfifo', [join(served, 'd', 'pipe')])
  const env = { SYNCFLOW_STATE_DIR: state }
  const { server, port } = await startServe(served, { env })
  running.push(server)
  const source = `grpc://127.0.0.1:${port}/d/pipe`
  const r = await runCli(['sync', source, dst], { env })
  expect(r.code, r.stderr).toBe(2)
  expect(r.stderr).toContain(`the source ${JSON.stringify(source)} is a FIFO, not a directory`)
  expect(r.stderr).not.toContain('does not exist')
  const ls = await runCli(['ls', source, '--json'], { env })
  expect(ls.code).toBe(2)
  expect(jsonLines(ls.stdout).at(-1)).toMatchObject({
    fatal: { code: 'USAGE', message: `${JSON.stringify(source)} is a FIFO, not a directory` },
  })
  // What is really not there still is.
  const missing = await runCli(['sync', `grpc://127.0.0.1:${port}/d/nothere`, dst], { env })
  expect(missing.code).toBe(2)
  expect(missing.stderr).toContain('does not exist')
  expect(await readTree(dst)).toEqual({ 'keep.txt': 'keep' })
})
