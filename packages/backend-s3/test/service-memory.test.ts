import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SERVICE_MEMORY_TTL_MS, ServiceMemory } from '../src/service-memory.js'

describe('ServiceMemory', () => {
  let dir: string
  let n = 0
  const file = () => join(dir, `m${++n}`, 's3-services.json')
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-memory-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('recalls an answer kept by another instance (the next run), per service and per kind', async () => {
    const f = file()
    await new ServiceMemory(f).remember('http://a b1', 'putIfMatch', 'unquoted')
    await new ServiceMemory(f).remember('http://a b1', 'deleteIfMatch', 'none')
    const next = new ServiceMemory(f)
    expect(await next.recall('http://a b1', 'putIfMatch')).toBe('unquoted')
    expect(await next.recall('http://a b1', 'deleteIfMatch')).toBe('none')
    expect(await next.recall('http://a b2', 'putIfMatch')).toBeUndefined()
    expect(await next.recall('http://b b1', 'putIfMatch')).toBeUndefined()
  })

  it('trusts an answer for a day: older, or learnt "in the future" (the clock went back), it is not recalled', async () => {
    const f = file()
    let now = 1_800_000_000_000
    const m = new ServiceMemory(f, { now: () => now })
    await m.remember('s', 'putIfMatch', 'quoted')
    now += SERVICE_MEMORY_TTL_MS - 1
    expect(await m.recall('s', 'putIfMatch')).toBe('quoted')
    now += 1
    expect(await m.recall('s', 'putIfMatch')).toBeUndefined()
    now = 1_800_000_000_000 - 1
    expect(await m.recall('s', 'putIfMatch')).toBeUndefined()
  })

  it('forgets an answer, keeps the others, and drops expired ones when it writes', async () => {
    const f = file()
    let now = 1_800_000_000_000
    const m = new ServiceMemory(f, { now: () => now })
    await m.remember('old', 'putIfMatch', 'quoted')
    now += SERVICE_MEMORY_TTL_MS
    await m.remember('s', 'putIfMatch', 'unquoted')
    await m.remember('s', 'deleteIfMatch', 'none')
    await m.remember('s', 'putIfMatch', undefined)
    expect(await m.recall('s', 'putIfMatch')).toBeUndefined()
    expect(await m.recall('s', 'deleteIfMatch')).toBe('none')
    expect(JSON.parse(await readFile(f, 'utf8'))).toEqual({
      version: 1,
      services: { s: { deleteIfMatch: { form: 'none', learnt: now } } },
    })
  })

  it('writes from one process in turn: none is lost', async () => {
    const f = file()
    const m = new ServiceMemory(f)
    await Promise.all(['a', 'b', 'c', 'd'].map((s) => m.remember(s, 'putIfMatch', 'quoted')))
    for (const s of ['a', 'b', 'c', 'd']) expect(await m.recall(s, 'putIfMatch')).toBe('quoted')
  })

  it('a file that is missing, not JSON, of another version or with unknown answers is an empty memory, replaced by the next answer', async () => {
    const f = file()
    const m = new ServiceMemory(f)
    expect(await m.recall('s', 'putIfMatch')).toBeUndefined()
    await m.remember('s', 'putIfMatch', 'quoted')
    for (const text of [
      'not json',
      'null',
      JSON.stringify({ version: 2, services: { s: { putIfMatch: { form: 'quoted', learnt: Date.now() } } } }),
      JSON.stringify({ version: 1, services: { s: { putIfMatch: { form: 'sometimes', learnt: Date.now() } } } }),
      JSON.stringify({ version: 1, services: { s: { putIfMatch: { form: 'quoted', learnt: 'today' } } } }),
    ]) {
      await writeFile(f, text)
      expect(await m.recall('s', 'putIfMatch')).toBeUndefined()
    }
    await m.remember('s', 'deleteIfMatch', 'none')
    expect(await m.recall('s', 'deleteIfMatch')).toBe('none')
  })

  it('a memory that cannot be written costs nothing but the probes again', async () => {
    const blocker = join(dir, 'a-file')
    await writeFile(blocker, '')
    const m = new ServiceMemory(join(blocker, 's3-services.json'))
    await expect(m.remember('s', 'putIfMatch', 'quoted')).resolves.toBeUndefined()
    expect(await m.recall('s', 'putIfMatch')).toBeUndefined()
  })
})
