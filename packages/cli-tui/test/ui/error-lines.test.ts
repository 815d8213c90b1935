import { describe, expect, it } from 'vitest'
import { errorLines, messageText } from '../../src/ui/error-lines.js'
import type { ErrorView } from '../../src/ui/sync-view-state.js'

// The error QA could not read at 80 columns (cut at `…/u2/ds…`).
const qa: ErrorView = {
  id: 1,
  ts: 0,
  path: 'b.txt',
  code: 'PERMISSION',
  stage: 'transfer',
  message:
    "PERMISSION: local.copyFrom (b.txt): EPERM: operation not permitted, rename '/tmp/qa-watch/u2/dst/.syncflow-tmp-4025-b1960000000a' -> '/tmp/qa-watch/u2/dst/b.txt'",
  hint: 'Check the permissions of the file and its directory (or run as a user who may access it).',
}

describe('messageText', () => {
  it('leaves out the code and the path (on the head line), keeps the operation', () => {
    expect(messageText(qa)).toMatch(/^local\.copyFrom: EPERM: operation not permitted, rename '/)
    expect(messageText({ ...qa, message: 'disk full' })).toBe('disk full')
    expect(messageText({ ...qa, message: 'PERMISSION: local.list (other): EACCES' })).toBe('local.list (other): EACCES')
  })
})

describe('errorLines', () => {
  it('shows the whole error at 80 columns: code and path, message, hint', () => {
    const lines = errorLines(qa, 80)
    for (const l of lines) expect(l.text.length).toBeLessThanOrEqual(80)
    expect(lines[0]).toEqual({ text: '✗ PERMISSION b.txt', kind: 'head' })
    const text = lines.map((l) => l.text.trim()).join(' ')
    expect(text).toContain(
      "rename '/tmp/qa-watch/u2/dst/.syncflow-tmp-4025-b1960000000a' -> '/tmp/qa-watch/u2/dst/b.txt'",
    )
    expect(text).toContain(
      'hint: Check the permissions of the file and its directory (or run as a user who may access it).',
    )
    expect(lines.filter((l) => l.kind === 'message').length).toBeGreaterThan(1)
    expect(text).not.toContain('…')
  })

  it('wraps a long path on the head line too, and names a run-wide error', () => {
    const deep = `${'deep/'.repeat(30)}name.txt`
    const lines = errorLines({ ...qa, path: deep, message: 'x' }, 40)
    expect(
      lines
        .filter((l) => l.kind === 'head')
        .map((l) => l.text.trim().replace(/^✗ /, ''))
        .join(''),
    ).toBe(`PERMISSION ${deep}`.replace(' ', ''))
    // A failure of no one file says what failed, as the line output does (QA 10 #8).
    expect(errorLines({ ...qa, path: '', stage: 'list', side: 'source' }, 80)[0]?.text).toBe(
      '✗ PERMISSION (source list)',
    )
    expect(errorLines({ ...qa, path: '', stage: 'record' }, 80)[0]?.text).toBe('✗ PERMISSION (state store)')
  })
})
