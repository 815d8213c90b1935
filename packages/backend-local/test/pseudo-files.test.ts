import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createPathFilter, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { expect, it } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { tempDir } from './helpers.js'

// QA 29a: a sysfs file says 4096 bytes and reads as a few. Copied local → local it was published
// short ("copied", exit 0), so every later run updated it again and check was never clean; read any
// other way (to grpc://, under --bwlimit) it fails, as a read of another size than listed does.

const pseudo = '/sys/kernel/uevent_seqnum'
const pseudoThere = existsSync(pseudo) && statSync(pseudo).size === 4096

it.skipIf(!pseudoThere)(
  `a file that reads shorter than its stat says (${pseudo}) fails CONFLICT and is not published`,
  async () => {
    const dst = await tempDir('pseudo-dst')
    const events = await lastValueFrom(
      sync(createLocalBackend({ root: '/sys/kernel' }), createLocalBackend({ root: dst }), {
        mode: 'copy',
        filter: createPathFilter({ include: ['/uevent_seqnum'] }),
      }).pipe(toArray()),
    )
    const failed = events.flatMap((e) => (e.type === 'failed' ? [e] : []))
    expect(failed).toEqual([
      expect.objectContaining({
        path: 'uevent_seqnum',
        error: expect.objectContaining({
          code: 'CONFLICT',
          message: expect.stringContaining('where its listing gave 4096'),
        }),
      }),
    ])
    expect(existsSync(join(dst, 'uevent_seqnum'))).toBe(false)
  },
)
