import { localBackend } from '@syncflow/backend-local'
import { guardPlugin, MemoryStateStore, openBackend, registerBackend, sync } from '@syncflow/core'
import { lastValueFrom } from 'rxjs'
import { gzdirBackend } from './gzdir-backend.mjs'

// The default registry starts empty (openBackend('./dir') fails without this line).
registerBackend(localBackend)
registerBackend(guardPlugin(gzdirBackend, 'syncflow-backend-gzdir'))
const src = await openBackend(process.argv[2] ?? '.')
const dst = await openBackend(process.argv[3] ?? 'gzdir:///tmp/lib-gz')
const done = await lastValueFrom(sync(src, dst, { mode: 'mirror', state: new MemoryStateStore() }))
console.log(done.type, JSON.stringify(done.summary.done))
