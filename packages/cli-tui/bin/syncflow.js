#!/usr/bin/env node
// The package's binary: a committed file, not dist/bin.js itself, because npm links a workspace's
// binary (node_modules/.bin/syncflow, what `npx syncflow` runs) only if the file exists when it
// installs, and a fresh clone has no dist/ until it is built: `npx syncflow` answered "not found"
// until `npm install` ran again.
try {
  await import('../dist/bin.js')
} catch (err) {
  const missing = err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('/dist/bin.js')
  if (!missing) throw err
  process.stderr.write(
    'syncflow: not built yet (packages/cli-tui/dist/bin.js is missing)\n  Run `npm run build` in the repository first.\n',
  )
  process.exitCode = 2
}
