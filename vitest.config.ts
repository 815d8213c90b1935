import { defineConfig } from 'vitest/config'

// Tests import workspace packages from source (the "source" export condition), so a test run
// needs no build of the package under test. The CLI tests run the built binary and build first.
export default defineConfig({
  resolve: { conditions: ['source', 'import', 'module', 'node', 'default'] },
  ssr: { resolve: { conditions: ['source', 'import', 'module', 'node', 'default'] } },
  test: {
    include: ['packages/*/test/**/*.test.{ts,tsx}', 'examples/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
})
