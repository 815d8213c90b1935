import { gzdirBackend } from './gzdir-backend.mjs'
export default {
  name: 'print',
  schemes: ['gzdir'],
  async open(uri, options) {
    process.stderr.write(`open(${JSON.stringify(uri)}, ${JSON.stringify(options)})\n`)
    return gzdirBackend.open(uri, options)
  },
}
