import { describe, expect, it } from 'vitest'
import { BUILTIN_BACKENDS, createBuiltinRegistry, lazyPlugin } from '../src/job/builtin-plugins.js'

describe('built-in backends', () => {
  it('registers every built-in scheme without importing its package', () => {
    const registry = createBuiltinRegistry()
    expect(registry.schemes()).toEqual(['file', 'grpc', 'grpcs', 'mem', 's3'])
    expect(BUILTIN_BACKENDS.find((b) => b.schemes.includes('s3'))?.pkg).toBe('@syncflow/backend-s3')
  })

  it('a package that is not installed is a USAGE error naming it', async () => {
    const plugin = lazyPlugin({ name: 'x', schemes: ['x'], pkg: '@syncflow/backend-not-there', exportName: 'xBackend' })
    await expect(plugin.open('x://somewhere', {})).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('x:// locations need the package @syncflow/backend-not-there'),
      hint: expect.stringContaining('npm install @syncflow/backend-not-there'),
    })
  })

  it('a package without the plugin export is UNSUPPORTED, not a crash', async () => {
    const plugin = lazyPlugin({ name: 'c', schemes: ['c'], pkg: '@syncflow/core', exportName: 'noSuchBackend' })
    await expect(plugin.open('c://x', {})).rejects.toMatchObject({ code: 'UNSUPPORTED' })
  })
})
