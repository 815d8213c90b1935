import { defineConfig } from 'vitest/config'

// Tests import workspace packages from source (the "source" export condition), so a test run
// needs no build of the package under test. The CLI tests run the built binary (npm test builds first).
// No 'import' here: Vite adds it per import itself, and listed, it also reached Node's own require()
// of external packages (pg's require('pg-pool') got the ES module: "Class extends [object Module]").
const conditions = ['source', 'node', 'default']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 180_000,
    // expect.poll waits for a condition; its 1 s default timed out on a loaded 2-core CI machine where
    // a watcher's event or a child process took longer (a flake, not a failure). A passing poll
    // still returns as soon as its condition holds; only a failing one waits the longer time.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'core',
          include: ['packages/core/test/**/*.test.ts'],
          // Starts (installing if needed) a throw-away Redis and PostgreSQL on 127.0.0.1 for the shared state
          // store tests, or uses REDIS_TEST_URL / POSTGRES_TEST_URL.
          globalSetup: ['packages/core/test/state-servers-global-setup.ts'],
        },
      },
      { extends: true, test: { name: 'backend-local', include: ['packages/backend-local/test/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'backend-s3',
          include: ['packages/backend-s3/test/**/*.test.ts'],
          // Starts (installing if needed) a throw-away radosgw on 127.0.0.1, or uses S3_TEST_* env vars.
          globalSetup: ['packages/backend-s3/test/global-setup.ts'],
        },
      },
      { extends: true, test: { name: 'backend-grpc', include: ['packages/backend-grpc/test/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'cli',
          include: ['packages/cli-tui/test/**/*.test.{ts,tsx}'],
          // Ink draws only a final frame when it believes it runs in CI (is-in-ci reads CI once, on
          // import); the component tests read every frame, as a terminal user sees them.
          env: { CI: 'false', CONTINUOUS_INTEGRATION: 'false' },
        },
      },
      { extends: true, test: { name: 'examples', include: ['examples/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'bench', include: ['bench/test/**/*.test.ts'] } },
    ],
  },
})
