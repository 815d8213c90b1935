import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { stateDirFor } from '../src/job/default-state-dir.js'
import { defaultStateDir, jobIdOf } from '../src/job/index.js'
import { assertJobId, normalizeLocation } from '../src/job/job-id.js'

describe('jobIdOf', () => {
  it('is 16 hex digits and stable across releases (changing it orphans every saved state)', () => {
    expect(jobIdOf('/data/photos', 's3://bucket/backup')).toBe(jobIdOf('/data/photos', 's3://bucket/backup'))
    expect(jobIdOf('/data/photos', 's3://bucket/backup')).toMatch(/^[0-9a-f]{16}$/)
    expect(jobIdOf('/data/photos', 's3://bucket/backup')).toMatchInlineSnapshot(`"cc4743cae8ec4830"`)
  })

  it('names one local directory however it is spelled', () => {
    const abs = path.resolve('photos')
    const id = jobIdOf(abs, '/backup')
    expect(jobIdOf('photos', '/backup')).toBe(id)
    expect(jobIdOf('./photos/', '/backup/')).toBe(id)
    expect(jobIdOf(`${abs}/../photos`, '/backup')).toBe(id)
    expect(jobIdOf(`file://${abs}`, '/backup')).toBe(id)
  })

  // QA round 11: the lock was keyed on the path as typed, so one job run through a symlinked path
  // ran beside itself (and kept two states).
  it('names one directory reached through a symlink, and a target not made yet, as one job', () => {
    const base = mkdtempSync(path.join(tmpdir(), 'syncflow-jobid-'))
    try {
      mkdirSync(path.join(base, 'real'))
      symlinkSync(path.join(base, 'real'), path.join(base, 'link'))
      const real = realpathSync(path.join(base, 'real'))
      expect(jobIdOf(path.join(base, 'link'), '/backup')).toBe(jobIdOf(real, '/backup'))
      expect(jobIdOf('/src', path.join(base, 'link', 'not-yet', 'made'))).toBe(
        jobIdOf('/src', path.join(real, 'not-yet', 'made')),
      )
    } finally {
      rmSync(base, { recursive: true, force: true })
    }
  })

  it('ignores a trailing slash and the scheme case of a URI, but not the rest', () => {
    expect(jobIdOf('/a', 's3://b/p/')).toBe(jobIdOf('/a', 'S3://b/p'))
    expect(jobIdOf('/a', 's3://b/p')).not.toBe(jobIdOf('/a', 's3://b/P'))
  })

  it('is a different job in the other direction', () => {
    expect(jobIdOf('/a', '/b')).not.toBe(jobIdOf('/b', '/a'))
  })

  it('keeps the filesystem root', () => {
    expect(normalizeLocation('/')).toBe('/')
    expect(normalizeLocation('s3://bucket/')).toBe('s3://bucket')
  })
})

describe('assertJobId', () => {
  it.each(['0123abcd', 'my-job_1.v2'])('accepts %j', (id) => expect(() => assertJobId(id)).not.toThrow())
  it.each(['', '.', '..', '.hidden', 'a/b', 'a\\b', 'x'.repeat(129), 'sp ace'])('refuses %j', (id) =>
    expect(() => assertJobId(id)).toThrow(expect.objectContaining({ code: 'USAGE' })),
  )
})

describe('defaultStateDir', () => {
  const home = '/home/me'
  it('prefers $SYNCFLOW_STATE_DIR, then an absolute $XDG_STATE_HOME', () => {
    expect(stateDirFor({ SYNCFLOW_STATE_DIR: '/s', XDG_STATE_HOME: '/x' }, 'linux', home)).toBe('/s')
    expect(stateDirFor({ XDG_STATE_HOME: '/x' }, 'linux', home)).toBe('/x/syncflow')
    expect(stateDirFor({ XDG_STATE_HOME: '/x' }, 'darwin', home)).toBe('/x/syncflow')
    expect(stateDirFor({ XDG_STATE_HOME: 'relative' }, 'linux', home)).toBe('/home/me/.local/state/syncflow')
  })

  it('uses each platform’s place otherwise', () => {
    expect(stateDirFor({}, 'linux', home)).toBe('/home/me/.local/state/syncflow')
    expect(stateDirFor({}, 'freebsd', home)).toBe('/home/me/.local/state/syncflow')
    expect(stateDirFor({}, 'darwin', home)).toBe('/home/me/Library/Application Support/syncflow')
    expect(stateDirFor({ LOCALAPPDATA: 'C:\\Users\\me\\AppData\\Local' }, 'win32', 'C:\\Users\\me')).toBe(
      'C:\\Users\\me\\AppData\\Local\\syncflow',
    )
    expect(stateDirFor({}, 'win32', 'C:\\Users\\me')).toBe('C:\\Users\\me\\AppData\\Local\\syncflow')
  })

  it('reads the real environment', () => {
    const saved = process.env.SYNCFLOW_STATE_DIR
    process.env.SYNCFLOW_STATE_DIR = '/tmp/syncflow-test-state'
    try {
      expect(defaultStateDir()).toBe('/tmp/syncflow-test-state')
    } finally {
      if (saved === undefined) delete process.env.SYNCFLOW_STATE_DIR
      else process.env.SYNCFLOW_STATE_DIR = saved
    }
  })
})
