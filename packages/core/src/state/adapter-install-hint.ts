import { existsSync } from 'node:fs'
import { dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * How to install the optional package `name` so that the module at `importer` (a file URL: syncflow's
 * own code) finds it. Node resolves an import from the importing file, not from the current
 * directory: an `npm install` run where the user stands, beside syncflow installed in another
 * project or globally, changed nothing (QA 36). So the hint names the project syncflow is installed
 * in (the directory above the first `node_modules` of its path), or `-g` for a global install.
 */
export function adapterInstallHint(name: string, importer: string): string {
  const file = importer.startsWith('file:') ? fileURLToPath(importer) : importer
  const at = file.indexOf(`${sep}node_modules${sep}`)
  // A checkout of the repository (or a bundle outside node_modules): its own npm install.
  if (at < 0) return `npm install ${name}`
  const project = file.slice(0, at) || sep
  // npm's global packages live in <prefix>/lib/node_modules, with no package.json beside them.
  if (project.endsWith(`${sep}lib`) && !existsSync(join(project, 'package.json'))) {
    return `npm install -g ${name} (syncflow is installed globally, in ${dirname(project)}: the package is looked up from there)`
  }
  return `cd ${shellWord(project)} && npm install ${name} (syncflow is installed there: the package is looked up from there, not from the current directory)`
}

/** `path` as one POSIX shell word, so that the hint pastes as it is: a project path with a space split the `cd` (review 36). */
function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`
}
