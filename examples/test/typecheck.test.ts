import { execFileSync } from 'node:child_process'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildPackages, REPO } from './helpers/run-example.js'

describe('examples', () => {
  beforeAll(() => buildPackages(), 120_000)

  // The scripts are JavaScript checked from their JSDoc: this keeps them in step with the public API.
  it('type-check against the public API (tsc -p examples)', () => {
    let output = ''
    try {
      execFileSync('npx', ['tsc', '-p', 'examples'], { cwd: REPO, stdio: 'pipe', encoding: 'utf8' })
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err)
    }
    expect(output).toBe('')
  }, 60_000)
})
