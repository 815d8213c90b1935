import { lastValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend, type MemBackend } from '../src/backend/mem-backend.js'
import { check, type DoneEvent, type SyncOptions, sync } from '../src/index.js'
import { listFiles, writeText } from '../src/testkit/index.js'

// QA 30c: a script's options were taken as they came. A typo ran something else than asked (a
// `dryrun: true` wrote, a `mode: 'mirorr'` deleted nothing), concurrency NaN threw out of the
// Observable, maxDelete '150%' failed the deletes as a bug in syncflow.
async function pair(): Promise<[MemBackend, MemBackend]> {
  const src = createMemBackend()
  const dst = createMemBackend()
  await writeText(src, 'new.txt', 'n')
  await writeText(dst, 'old.txt', 'o')
  return [src, dst]
}

const BAD: readonly [string, Record<string, unknown>, RegExp][] = [
  ['a misspelt dryRun', { dryrun: true }, /unknown option 'dryrun': did you mean 'dryRun'\?/],
  ['a misspelt maxDelete', { maxdelete: { count: 0 } }, /did you mean 'maxDelete'/],
  ['an unknown mode', { mode: 'mirorr' }, /mode must be 'mirror' or 'copy', not "mirorr"/],
  ['no mode', { mode: undefined }, /mode must be/],
  ['concurrency NaN', { concurrency: Number.NaN }, /concurrency must be a whole number of at least 1, not NaN/],
  ['concurrency 0', { concurrency: 0 }, /concurrency must be/],
  ['concurrency as a string', { concurrency: '4' }, /concurrency must be/],
  ['maxDelete as the CLI spells it', { maxDelete: '150%' }, /maxDelete must be \{ count: N \}.*not "150%"/],
  ['maxDelete over 100%', { maxDelete: { percent: 150 } }, /maxDelete must be/],
  ['a negative maxDelete', { maxDelete: { count: -1 } }, /maxDelete must be/],
  ['an unknown compare', { compare: 'md5' }, /compare must be/],
  ['a negative bwlimit', { bwlimit: -5 }, /bwlimit must be a number of at least 0, not -5/],
  [
    'a filter given as its options',
    { filter: { exclude: ['*.tmp'] } },
    /filter must be a PathFilter, made by createPathFilter/,
  ],
  ['a filter null', { filter: null }, /filter must be a PathFilter/],
  ['a state given as a path', { state: './state.sqlite' }, /state must be a StateStore/],
  ['a signal that is no AbortSignal', { signal: 'stop' }, /signal must be an AbortSignal/],
  ['a backup directory given as a path', { backupTo: '/tmp/old' }, /backupTo must be a Backend/],
]

describe('sync options a script got wrong', () => {
  for (const [what, bad, message] of BAD) {
    it(`${what}: one done whose fatal is USAGE, nothing written or deleted`, async () => {
      const [src, dst] = await pair()
      const opts = { mode: 'mirror', ...bad } as unknown as SyncOptions
      const events = await lastValueFrom(sync(src, dst, opts).pipe(toArray()))
      expect(events.map((e) => e.type)).toEqual(['done'])
      const summary = (events[0] as DoneEvent).summary
      expect(summary.fatal?.code).toBe('USAGE')
      expect(summary.fatal?.message).toMatch(message)
      expect(await listFiles(dst)).toEqual(['old.txt'])
    })
  }

  it('check refuses them too', async () => {
    const [src, dst] = await pair()
    const events = await lastValueFrom(check(src, dst, { mode: 'mirror', concurrency: Number.NaN }).pipe(toArray()))
    expect((events.at(-1) as DoneEvent).summary.fatal?.code).toBe('USAGE')
  })

  // A state given as its URL, or a backupTo given as a backend's options, was shown whole in the
  // fatal's message: in --json, logs and webhooks, with the password or token it held.
  it('shows no password or token of what it refuses', async () => {
    for (const bad of [
      { state: 'postgres://me:s3cr3t@db/sync' },
      { state: 'postgres://me@db/sync?password=s3cr3t' },
      { backupTo: { uri: 'grpc://h:1/old', token: 's3cr3t' } },
      { backupTo: { bucket: 'b', credentials: { accessKeyId: 'AK', secretAccessKey: 's3cr3t' } } },
    ]) {
      const [src, dst] = await pair()
      const done = (await lastValueFrom(
        sync(src, dst, { mode: 'mirror', ...bad } as unknown as SyncOptions),
      )) as DoneEvent
      expect(done.summary.fatal?.code).toBe('USAGE')
      expect(done.summary.fatal?.message).toMatch(/must be a (StateStore|Backend)/)
      expect(JSON.stringify(done)).not.toContain('s3cr3t')
    }
  })

  it('valid options, and keys it does not know in other spellings, still run', async () => {
    const [src, dst] = await pair()
    const opts = { mode: 'mirror', concurrency: 2, maxDelete: { percent: 100 }, extra: 1 } as SyncOptions
    const done = (await lastValueFrom(sync(src, dst, opts))) as DoneEvent
    expect(done.summary.fatal).toBeUndefined()
    expect(await listFiles(dst)).toEqual(['new.txt'])
  })
})
