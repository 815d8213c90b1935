// proto-loader-gen-types writes extensionless relative imports; NodeNext ESM needs `.js`.
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const dir = new URL('../src/generated/', import.meta.url).pathname
for (const name of await readdir(dir, { recursive: true })) {
  if (!name.endsWith('.ts')) continue
  const file = join(dir, name)
  const text = await readFile(file, 'utf8')
  await writeFile(file, text.replace(/(from '\.{1,2}\/[^']*?)(?<!\.js)'/g, "$1.js'"))
}
