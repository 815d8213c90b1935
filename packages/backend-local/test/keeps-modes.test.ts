import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { keepsModes, keepsModesOfType } from '../src/keeps-modes.js'
import { tempDir } from './helpers.js'

// A chmod on FAT, exFAT, NTFS or an SMB share succeeds and changes nothing: comparing modes there
// would rewrite every file whose source mode differs on every run (review finding).
describe('keepsModes', () => {
  it('says no for FAT, exFAT, NTFS (kernel or FUSE) and SMB/CIFS, yes for the usual Linux filesystems', () => {
    for (const type of [0x4d44, 0x2011bab0, 0x5346544e, 0x65735546, 0xff534d42, 0xfe534d42, 0x517b]) {
      expect(keepsModesOfType(type)).toBe(false)
    }
    for (const type of [0xef53 /* ext4 */, 0x58465342 /* xfs */, 0x9123683e /* btrfs */, 0x01021994 /* tmpfs */]) {
      expect(keepsModesOfType(type)).toBe(true)
    }
  })

  it.runIf(process.platform === 'linux')('looks at the nearest existing parent of a root not made yet', async () => {
    const dir = await tempDir('keeps-modes')
    expect(keepsModes(join(dir, 'not', 'made', 'yet'))).toBe(true)
    expect(createLocalBackend({ root: join(dir, 'x') }).capabilities.permissions).toBe(true)
  })
})
