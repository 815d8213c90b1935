import { SyncError } from '@syncflow/core'
import { createGzdirBackend } from './gzdir-backend.mjs'
export default {
  name: 'gz-strict',
  schemes: ['gzdir'],
  async open(uri) {
    const b = createGzdirBackend({ root: uri.replace(/^gzdir:\/\//, '') })
    const list = b.list.bind(b)
    b.list = async function* (o) {
      if (!(await b.rootExists()))
        throw new SyncError('NOT_FOUND', 'no such directory', { op: 'gzdir.list', path: b.root })
      yield* list(o)
    }
    return b
  },
}
