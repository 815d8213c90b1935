import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const PKG = fileURLToPath(new URL('..', import.meta.url))
const run = promisify(execFile)

describe('proto/syncflow.proto is the one source of the wire types', () => {
  it('src/generated is exactly what `npm run generate` makes from it (regenerate after editing the .proto)', async () => {
    const out = await mkdtemp(join(tmpdir(), 'grpc-generated-'))
    try {
      // The same command as the package's `generate` script, into a temp dir.
      const loader = dirname(createRequire(join(PKG, 'package.json')).resolve('@grpc/proto-loader/package.json'))
      const genTypes = join(loader, 'build/bin/proto-loader-gen-types.js')
      const flags = ['--longs=Number', '--enums=String', '--defaults', '--oneofs', '--includeComments']
      await run(
        process.execPath,
        [genTypes, ...flags, '--grpcLib=@grpc/grpc-js', `--outDir=${out}`, 'proto/syncflow.proto'],
        {
          cwd: PKG,
        },
      )
      await run(process.execPath, ['scripts/fix-generated-imports.mjs', out], { cwd: PKG })
      const files = async (dir: string) =>
        (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.ts')).sort()
      const checkedIn = join(PKG, 'src/generated')
      expect(await files(out)).toEqual(await files(checkedIn))
      for (const f of await files(out)) {
        expect(await readFile(join(checkedIn, f), 'utf8'), f).toBe(await readFile(join(out, f), 'utf8'))
      }
    } finally {
      await rm(out, { recursive: true, force: true })
    }
  })
})
