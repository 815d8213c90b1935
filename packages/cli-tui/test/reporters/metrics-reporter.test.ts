import { afterEach, describe, expect, it } from 'vitest'
import { MetricsReporter } from '../../src/reporters/metrics-reporter.js'
import { parseListenAddress } from '../../src/reporters/parse-listen-address.js'
import { failed, summary, transferEvents } from '../ui/fixtures.js'

const open: MetricsReporter[] = []
afterEach(async () => {
  for (const m of open.splice(0)) await m.close()
})

describe('MetricsReporter', () => {
  it('serves counters and gauges from the event stream on /metrics', async () => {
    const m = new MetricsReporter()
    open.push(m)
    const { port } = await m.listen('127.0.0.1', 0)
    for (const e of transferEvents('copy', 'a', 1000)) m.event(e)
    for (const e of transferEvents('delete', 'b')) m.event(e)
    m.event(failed('c', 'NO_SPACE'))
    m.event({ type: 'notice', ts: 0, code: 'POLLING', message: 'polling' })
    m.event({ type: 'done', ts: 2000, summary: summary({ failed: 1 }) })
    m.event({ type: 'done', ts: 3000, summary: summary() })
    m.event({ type: 'done', ts: 4000, summary: summary({ mode: 'watch' }) })
    const res = await fetch(`http://127.0.0.1:${port}/metrics`)
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toContain('syncflow_actions_total{kind="copy",outcome="completed"} 1')
    expect(text).toContain('syncflow_actions_total{kind="delete",outcome="completed"} 1')
    expect(text).toContain('syncflow_transferred_bytes_total 1000')
    expect(text).toContain('syncflow_errors_total{code="NO_SPACE",stage="transfer"} 1')
    expect(text).toContain('syncflow_notices_total{code="POLLING"} 1')
    expect(text).toContain('syncflow_runs_total{result="failure"} 1')
    expect(text).toContain('syncflow_runs_total{result="success"} 1')
    expect(text).toContain('syncflow_last_success_timestamp_seconds 3')
    expect(text).toContain('syncflow_process_cpu_seconds_total')
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404)
  })

  it('says which address could not be used', async () => {
    const a = new MetricsReporter({ processMetrics: false })
    open.push(a)
    const { port } = await a.listen('127.0.0.1', 0)
    const b = new MetricsReporter({ processMetrics: false })
    await expect(b.listen('127.0.0.1', port)).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('EADDRINUSE'),
    })
  })
})

describe('parseListenAddress', () => {
  it('reads HOST:PORT, [v6]:PORT, :PORT and PORT', () => {
    expect(parseListenAddress('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 })
    expect(parseListenAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 })
    expect(parseListenAddress(':9464')).toEqual({ host: '0.0.0.0', port: 9464 })
    expect(parseListenAddress('9464')).toEqual({ host: '127.0.0.1', port: 9464 })
    expect(parseListenAddress('localhost:80')).toEqual({ host: 'localhost', port: 80 })
    expect(() => parseListenAddress('host')).toThrow(/HOST:PORT/)
    expect(() => parseListenAddress('h:70000')).toThrow(/HOST:PORT/)
  })
})
