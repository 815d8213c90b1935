import { isSyncError } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { createLocalBackend, type LocalBackendOptions } from '../src/index.js'

// QA 30c: createLocalBackend({ root: '' }) was the working directory (path.resolve('')), so a script
// whose target came from an unset variable (`root: process.env.DEST ?? ''`) mirrored into the
// directory it ran in, deleting what the source lacks; the file:// plugin refuses an empty path.
describe('createLocalBackend given no directory', () => {
  for (const root of ['', undefined, 42, 'a\0b']) {
    it(`refuses root ${JSON.stringify(root)} as USAGE, naming the option`, () => {
      let thrown: unknown
      try {
        createLocalBackend({ root } as unknown as LocalBackendOptions)
      } catch (err) {
        thrown = err
      }
      expect(isSyncError(thrown) && thrown.code).toBe('USAGE')
      expect((thrown as Error).message).toMatch(/createLocalBackend needs a directory path as its root/)
    })
  }
})
