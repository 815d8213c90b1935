#!/usr/bin/env node
// The package's binary: a committed file, not dist/bin.js itself, because npm links a workspace's
// binary (node_modules/.bin/syncflow, what `npx syncflow` runs) only if the file exists when it
// installs, and a fresh clone has no dist/ until it is built: `npx syncflow` answered "not found"
// until `npm install` ran again.
const built = new URL('../dist/bin.js', import.meta.url)
try {
  await import(built.href)
} catch (err) {
  // That file itself, not a module it imports (a chunk of a broken build: said as Node says it).
  const missing = err?.code === 'ERR_MODULE_NOT_FOUND' && err.url === built.href
  if (!missing) throw err
  process.stderr.write(
    'syncflow: not built yet (packages/cli-tui/dist/bin.js is missing)\n  Run `npm run build` in the repository first.\n',
  )
  process.exitCode = 2
}
