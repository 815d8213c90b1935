// proto-loader-gen-types writes extensionless relative imports; NodeNext ESM needs `.js`.
//   node scripts/fix-generated-imports.mjs [DIR]   (DIR: the generated types, default src/generated)
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'

const dir = process.argv[2] ? resolve(process.argv[2]) : new URL('../src/generated/', import.meta.url).pathname
for (const name of await readdir(dir, { recursive: true })) {
  if (!name.endsWith('.ts')) continue
  const file = join(dir, name)
  const text = await readFile(file, 'utf8')
  await writeFile(file, text.replace(/(from '\.{1,2}\/[^']*?)(?<!\.js)'/g, "$1.js'"))
}
