import { mkdir, readdir, readlink, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createMemBackend, type SyncEvent, sync } from '@syncflow/core'
import { writeText } from '@syncflow/core/testkit'
import { lastValueFrom, toArray } from 'rxjs'
import { expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { tempDir } from './helpers.js'

// A name with a control character is reported and skipped; the run's other deletes go ahead, so a
// directory that exists only on the target and holds such a name cannot go (rmdir, never recursive).
it('a target directory left holding a name skipped as unsafe is skipped for that reason, not for files added since', async () => {
  const src = await tempDir('unsafe-src')
  const dst = await tempDir('unsafe-dst')
  await writeFile(join(src, 'keep'), 'k')
  await writeFile(join(dst, 'keep'), 'k')
  await writeFile(join(dst, 'extra'), 'x')
  await mkdir(join(dst, 'p'))
  await writeFile(join(dst, 'p', 'normal'), 'n')
  await writeFile(join(dst, 'p', 'odd\tname'), 'o')
  const events: SyncEvent[] = await lastValueFrom(
    sync(createLocalBackend({ root: src }), createLocalBackend({ root: dst }), { mode: 'mirror' }).pipe(toArray()),
  )
  expect(events.filter((e) => e.type === 'failed').map((e) => e.type === 'failed' && e.path)).toEqual(['p/odd\tname'])
  const skipped = events.find((e) => e.type === 'skipped' && e.path === 'p')
  expect(skipped?.type === 'skipped' && skipped.reason).toContain('a name skipped as unsafe')
  expect((await readdir(dst)).sort()).toEqual(['keep', 'p'])
  expect(await readdir(join(dst, 'p'))).toEqual(['odd\tname'])
})

// QA F9: a name that is not UTF-8 holds the run's deletes back (its bytes are not known, only their
// decoding), a tab in it or not: `a<TAB>\xe9` let the mirror delete, `caf\xe9` did not.
it('a name that is not UTF-8 with a tab in it holds the deletes back, as one without a tab does', async () => {
  for (const bytes of [
    [0x61, 0x09, 0xe9],
    [0x63, 0x61, 0x66, 0xe9],
  ]) {
    const src = await tempDir('undecodable-src')
    const dst = await tempDir('undecodable-dst')
    await writeFile(join(src, 'keep'), 'k')
    await writeFile(Buffer.concat([Buffer.from(`${src}/`), Buffer.from(bytes)]), 'not UTF-8')
    await writeFile(join(dst, 'stale'), 's')
    const events: SyncEvent[] = await lastValueFrom(
      sync(createLocalBackend({ root: src }), createLocalBackend({ root: dst }), { mode: 'mirror' }).pipe(toArray()),
    )
    const name = Buffer.from(bytes).toString('utf8')
    expect(events.filter((e) => e.type === 'failed')).toMatchObject([
      { path: name, stage: 'list', error: { code: 'INVALID_PATH' } },
    ])
    expect(
      events.some((e) => e.type === 'notice' && e.code === 'DELETES_SUPPRESSED'),
      name,
    ).toBe(true)
    expect((await readdir(dst)).sort(), name).toEqual(['keep', 'stale'])
  }
})

// QA 25a #1: Node decodes a symlink's target that is not UTF-8 with U+FFFD, so the copy of
// `l -> caf\xe9` pointed at `caf\xef\xbf\xbd` (another name), and every later run found the two
// equal. Such a link is reported as a name that is not UTF-8 is, and left out; a target that is
// UTF-8 holding U+FFFD itself is an ordinary link, copied as it is.
it('a symlink whose target is not UTF-8 is reported and not copied under another target', async () => {
  const src = await tempDir('badlink-src')
  const dst = await tempDir('badlink-dst')
  await symlink(Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from(`${src}/bad`))
  await symlink('caf\ufffd', join(src, 'replacement-char'))
  await writeFile(join(dst, 'stale'), 's')
  const events: SyncEvent[] = await lastValueFrom(
    sync(createLocalBackend({ root: src }), createLocalBackend({ root: dst }), { mode: 'mirror' }).pipe(toArray()),
  )
  expect(events.filter((e) => e.type === 'failed')).toMatchObject([
    { path: 'bad', stage: 'list', side: 'source', error: { code: 'INVALID_PATH' } },
  ])
  const failed = events.find((e) => e.type === 'failed')
  expect(failed?.type === 'failed' && failed.error.message).toContain('(its bytes: caf\\xe9)')
  expect(events.some((e) => e.type === 'notice' && e.code === 'DELETES_SUPPRESSED')).toBe(true)
  expect((await readdir(dst)).sort()).toEqual(['replacement-char', 'stale'])
  expect(await readlink(join(dst, 'replacement-char'))).toBe('caf\ufffd')
})

// QA 25a #3: a root given as a symlink to a directory whose path is not UTF-8 resolved to Node's
// lossy decoding (`real\xef\xbf\xbd`), another directory, and the writes made through handles
// opened from that real path went there: refused instead, and nothing is written anywhere.
it('a target root that leads to a path that is not UTF-8 is refused, not written beside it', async () => {
  const src = await tempDir('badroot-src')
  const parent = await tempDir('badroot-parent')
  await writeFile(join(src, 'a'), 'a')
  const real = Buffer.from(`${parent}/real\xe9`, 'latin1')
  await mkdir(real)
  await mkdir(join(parent, 'real\ufffd'))
  await symlink(real, join(parent, 'root'))
  const events: SyncEvent[] = await lastValueFrom(
    sync(createLocalBackend({ root: src }), createLocalBackend({ root: join(parent, 'root') }), {
      mode: 'mirror',
    }).pipe(toArray()),
  )
  expect(events.filter((e) => e.type === 'failed')).toMatchObject([
    { path: 'a', error: { code: 'INVALID_PATH', message: expect.stringContaining('real\\xe9') } },
  ])
  expect(await readdir(join(parent, 'real\ufffd'))).toEqual([])
  expect(await readdir(real)).toEqual([])
})

// QA 29d: a file named like a temp file of a local write (`.syncflow-tmp-<pid>-<12 hex>`), from a
// source that lists it (an S3 bucket another tool filled from a directory a killed run left one
// in), was written into the local target, which never lists such a name: the next run found the
// "new" file there and failed it as having appeared since it was planned (CONFLICT, for good), and
// a later run removed the copy as a stale temp file. It is refused before anything is written.
it('a file or directory named like a temp file of a local write is refused, never written into the target', async () => {
  const dst = await tempDir('temp-named-dst')
  const source = createMemBackend()
  const name = '.syncflow-tmp-1-abcdef012345'
  await writeText(source, name, 'restored data')
  await writeText(source, `d/${name}/inner`, 'below')
  await writeText(source, 'ok', 'ok')
  for (const run of [1, 2]) {
    const events: SyncEvent[] = await lastValueFrom(
      sync(source, createLocalBackend({ root: dst }), { mode: 'mirror' }).pipe(toArray()),
    )
    const failed = events.flatMap((e) => (e.type === 'failed' ? [[e.path, e.error.code]] : []))
    expect(failed.sort(), `run ${run}`).toEqual([
      [name, 'INVALID_PATH'],
      [`d/${name}`, 'INVALID_PATH'],
      [`d/${name}/inner`, 'INVALID_PATH'],
    ])
    expect((await readdir(dst)).sort(), `run ${run}`).toEqual(['d', 'ok'])
    expect(await readdir(join(dst, 'd')), `run ${run}`).toEqual([])
  }
})
