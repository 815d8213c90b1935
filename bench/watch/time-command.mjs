#!/usr/bin/env node
// @ts-check
// time-command.mjs OUTFILE CMD ARGS…: runs CMD with this terminal, writes its wall time in ms to OUTFILE.

import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'

const [out, cmd, ...args] = process.argv.slice(2)
if (!out || !cmd) throw new Error('usage: time-command.mjs OUTFILE CMD [ARGS…]')
const t0 = performance.now()
const r = spawnSync(cmd, args, { stdio: 'inherit' })
writeFileSync(out, String(performance.now() - t0))
process.exitCode = r.status ?? 1
