import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { IfMatchForm } from './learn-if-match.js'

/** What is learnt about a service and kept across runs: the If-Match form of PutObject and of DeleteObject. */
export type Learnt = 'putIfMatch' | 'deleteIfMatch'

/** How long a learnt answer is trusted: a service upgraded or replaced behind its URL is learnt again within a day. */
export const SERVICE_MEMORY_TTL_MS = 24 * 3600_000

/**
 * What the S3 backend learnt about services (see learn-if-match.ts), kept in a small JSON file so
 * that the next run does not probe again: one entry per service (endpoint and bucket), each answer
 * with the time it was learnt, trusted for `ttlMs`. Losing it only costs the probes again: a file
 * that cannot be read or parsed is an empty memory, and a failed write is ignored. Concurrent
 * writers (two runs at once) each replace the file whole (temp + rename), so one of them may lose
 * the other's answer, which is then learnt again.
 */
export class ServiceMemory {
  readonly #file: string
  readonly #ttlMs: number
  readonly #now: () => number

  constructor(file: string, opts: { readonly ttlMs?: number; readonly now?: () => number } = {}) {
    this.#file = file
    this.#ttlMs = opts.ttlMs ?? SERVICE_MEMORY_TTL_MS
    this.#now = opts.now ?? Date.now
  }

  /** The answer learnt about `service` less than `ttlMs` ago, if any. */
  async recall(service: string, what: Learnt): Promise<IfMatchForm | undefined> {
    const entry = (await this.#read())[service]?.[what]
    if (entry === undefined) return undefined
    const age = this.#now() - entry.learnt
    // A time in the future (the clock went back) is as untrustworthy as an old one.
    return age >= 0 && age < this.#ttlMs ? entry.form : undefined
  }

  /** Keeps `form` as the answer about `service`, or forgets it (`undefined`), and drops expired answers. */
  remember(service: string, what: Learnt, form: IfMatchForm | undefined): Promise<void> {
    return serialized(this.#file, async () => {
      const all = await this.#read()
      const now = this.#now()
      const entry = { ...all[service] }
      if (form === undefined) delete entry[what]
      else entry[what] = { form, learnt: now }
      all[service] = entry
      for (const [key, answers] of Object.entries(all)) {
        for (const k of Object.keys(answers) as Learnt[]) {
          const age = now - answers[k]!.learnt
          if (age < 0 || age >= this.#ttlMs) delete answers[k]
        }
        if (Object.keys(answers).length === 0) delete all[key]
      }
      const temp = `${this.#file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`
      try {
        await mkdir(dirname(this.#file), { recursive: true })
        await writeFile(temp, `${JSON.stringify({ version: 1, services: all }, null, 1)}\n`)
        await rename(temp, this.#file)
      } catch {
        // A memory that cannot be kept only costs the probes again next run.
        await rm(temp, { force: true }).catch(() => undefined)
      }
    })
  }

  async #read(): Promise<Record<string, Answers>> {
    let text: string
    try {
      text = await readFile(this.#file, 'utf8')
    } catch {
      return {}
    }
    try {
      return validServices(JSON.parse(text))
    } catch {
      return {}
    }
  }
}

type Answers = Partial<Record<Learnt, { form: IfMatchForm; learnt: number }>>

const FORMS: readonly string[] = ['quoted', 'unquoted', 'none'] satisfies IfMatchForm[]

/** The well-formed answers of a parsed file; anything else in it is ignored. */
function validServices(parsed: unknown): Record<string, Answers> {
  const out: Record<string, Answers> = {}
  const services = (parsed as { version?: unknown; services?: unknown } | null)?.services
  if ((parsed as { version?: unknown }).version !== 1 || typeof services !== 'object' || services === null) return out
  for (const [key, value] of Object.entries(services)) {
    const answers: Answers = {}
    for (const what of ['putIfMatch', 'deleteIfMatch'] as const) {
      const a = (value as Record<string, { form?: unknown; learnt?: unknown }> | null)?.[what]
      if (typeof a?.form === 'string' && FORMS.includes(a.form) && Number.isFinite(a.learnt)) {
        answers[what] = { form: a.form as IfMatchForm, learnt: a.learnt as number }
      }
    }
    if (Object.keys(answers).length > 0) out[key] = answers
  }
  return out
}

const queues = new Map<string, Promise<void>>()

/** Runs `fn` after the previous read-modify-write of `file` in this process has finished. */
function serialized(file: string, fn: () => Promise<void>): Promise<void> {
  const next = (queues.get(file) ?? Promise.resolve()).then(fn)
  queues.set(file, next)
  void next.finally(() => {
    if (queues.get(file) === next) queues.delete(file)
  })
  return next
}
