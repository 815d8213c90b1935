import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { keepsModes, keepsModesOfType, mtimePrecisionOf, mtimePrecisionOfType } from '../src/keeps-modes.js'
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

// A backup to a FAT or exFAT USB disk was "touched" file by file on every run: the local backend said
// 1 ms for every filesystem, so the 2 s (10 ms) the disk keeps differed each time (QA 30i #4).
describe('mtimePrecisionOf', () => {
  it('is 2 s for FAT, 10 ms for the kernel exFAT, 1 ms for the rest (FUSE unknown)', () => {
    expect(mtimePrecisionOfType(0x4d44)).toBe(2000)
    expect(mtimePrecisionOfType(0x2011bab0)).toBe(10)
    for (const type of [0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x65735546, 0x5346544e]) {
      expect(mtimePrecisionOfType(type)).toBe(1)
    }
  })

  it.runIf(process.platform === 'linux')('is what the backend says, for a root not made yet too', async () => {
    const dir = await tempDir('mtime-precision')
    expect(mtimePrecisionOf(join(dir, 'not', 'made'))).toBe(1)
    expect(createLocalBackend({ root: dir }).capabilities.mtimePrecisionMs).toBe(1)
  })
})
