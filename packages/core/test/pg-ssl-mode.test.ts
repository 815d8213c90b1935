// sslmode=prefer, require and verify-ca are said to pg as verify-full, which is what pg 8 makes of
// them (its 10-line warning says so): the TLS settings pg builds must be exactly the same.
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { pgSslModeSaid } from '../src/state/pg-ssl-mode.js'

const requirePg = createRequire(createRequire(import.meta.resolve('@keyv/postgres')).resolve('pg'))
const { parse } = requirePg('pg-connection-string') as {
  parse(url: string, options?: object): { ssl?: unknown; sslmode?: string }
}

const BASE = 'postgres://u:p%40ss@db.example:5432/state'

describe('pgSslModeSaid', () => {
  it.each(['prefer', 'require', 'verify-ca'])(
    'sslmode=%s: verify-full, the TLS settings pg makes unchanged',
    (mode) => {
      const url = `${BASE}?application_name=x&sslmode=${mode}&connect_timeout=3`
      const said = pgSslModeSaid(url)
      expect(said).toBe(`${BASE}?application_name=x&sslmode=verify-full&connect_timeout=3`)
      const { sslmode: _given, ...before } = parse(url)
      const { sslmode, ...after } = parse(said)
      expect(sslmode).toBe('verify-full')
      expect(after).toEqual(before)
      // Certificates are checked: pg's default (rejectUnauthorized unset is true), nothing turned off.
      expect(after.ssl).toEqual({})
    },
  )

  it.each([
    BASE,
    `${BASE}?sslmode=verify-full`,
    `${BASE}?sslmode=no-verify`,
    `${BASE}?sslmode=disable`,
    `${BASE}?ssl=true`,
    // libpq's meaning asked for in words: given as it is.
    `${BASE}?uselibpqcompat=true&sslmode=require`,
    // Not a parameter of its own.
    `${BASE}?application_name=sslmode=require`,
  ])('%s: as it is', (url) => {
    expect(pgSslModeSaid(url)).toBe(url)
  })
})
