#!/usr/bin/env node
// @ts-check
// Entry of `npm run bench`: runs every local benchmark (today: bench/local, syncflow against
// rsync, rclone and cp on local directories). Arguments are passed on; see bench/README.md.
// The S3 and gRPC benchmarks need servers and have their own entries (bench/s3, bench/grpc).

await import('./local/run.mjs')
