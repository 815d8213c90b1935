// Programmatic entry of the `syncflow` package: run the CLI in-process (used by tests and wrappers).

export { run } from './cli.js'
export type { ExitCode } from './errors/exit-codes.js'
export { EXIT } from './errors/exit-codes.js'
