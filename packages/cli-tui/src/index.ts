// Programmatic entry of the `syncflow` package: run the CLI in-process (used by tests and wrappers).

export { run } from './cli.js'
export type { ExitCode } from './errors/exit-codes.js'
export { EXIT } from './errors/exit-codes.js'
export type { Output, Streams } from './output/streams.js'
export { processStreams } from './output/streams.js'
