import type { Entry, RelPath, SyncEvent } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { slimEvent } from '../../src/ui/slim-event.js'

const full: Entry = {
  path: 'a' as RelPath,
  kind: 'file',
  size: 10,
  mtimeMs: 5,
  mode: 0o644,
  hashes: { md5: 'x' },
  version: 'v1',
}

describe('slimEvent', () => {
  it('keeps what the UI, webhook and metrics read, and drops entry metadata', () => {
    const action = { kind: 'update' as const, path: 'a' as RelPath, reason: 'size differs', source: full, target: full }
    const done: SyncEvent = { type: 'completed', ts: 1, action, bytes: 10, durationMs: 2, result: full }
    expect(slimEvent(done)).toEqual({
      type: 'completed',
      ts: 1,
      action: {
        kind: 'update',
        path: 'a',
        reason: 'size differs',
        source: { path: 'a', kind: 'file', size: 10, mtimeMs: 5 },
      },
      bytes: 10,
      durationMs: 2,
    })
    const stats = { type: 'stats', ts: 1 } as SyncEvent
    expect(slimEvent(stats)).toBe(stats)
    const moved: SyncEvent = {
      type: 'planned',
      ts: 1,
      action: { kind: 'move', path: 'b' as RelPath, from: 'a' as RelPath, reason: 'renamed' },
    }
    expect(slimEvent(moved)).toEqual(moved)
  })
})
