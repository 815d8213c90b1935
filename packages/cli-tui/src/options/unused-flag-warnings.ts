import type { Command } from 'commander'

/** The flags that only some kinds of location read, and those kinds (URI schemes). */
const FOR_SCHEMES: Readonly<Record<string, { readonly schemes: readonly string[]; readonly what: string }>> = {
  token: { schemes: ['grpc', 'grpcs'], what: 'grpc://' },
  tokenFile: { schemes: ['grpc', 'grpcs'], what: 'grpc://' },
  caFile: { schemes: ['grpcs', 'grpc'], what: 'grpcs://' },
  compress: { schemes: ['grpc', 'grpcs'], what: 'grpc://' },
  blockSize: { schemes: ['grpc', 'grpcs'], what: 'grpc:// (delta transfer)' },
  s3Endpoint: { schemes: ['s3'], what: 's3://' },
  timeout: { schemes: ['grpc', 'grpcs', 's3'], what: 'grpc:// and s3://' },
  contimeout: { schemes: ['grpc', 'grpcs', 's3'], what: 'grpc:// and s3://' },
}

/**
 * Warnings for flags given on the command line that no location of the command reads (QA 23 #6:
 * `--token-file /nonexistent` with two local paths passed without a word, and so did a `--token`
 * beside a mistyped `grpc//host:port/x`, a local path). Not for a `--config` file's keys (one file
 * serves all of a job's commands), and none with `--plugin`: a plugin's backend may read any of them.
 */
export function unusedFlagWarnings(cmd: Command, locations: readonly string[]): string[] {
  if (cmd.getOptionValue('plugin') !== undefined) return []
  // `--backup-dir` is a location too (an s3:// one reads --s3-endpoint).
  const backupDir = cmd.getOptionValue('backupDir') as string | undefined
  const all = backupDir !== undefined ? [...locations, backupDir] : locations
  const schemes = new Set(all.map(schemeOf))
  const warnings: string[] = []
  // -x: only a local source has mount points to stay out of (QA: silent on an s3:// source).
  const source = cmd.name() === 'restore' ? locations[1] : locations[0]
  const sourceScheme = source === undefined ? undefined : schemeOf(source)
  if (cmd.getOptionValueSource('oneFileSystem') === 'cli' && sourceScheme !== undefined && sourceScheme !== 'file') {
    warnings.push(`--one-file-system applies to a local source only, and ${source} is not one: ignored`)
  }
  // The storage class of what is written: only an s3:// target (or --backup-dir) is written to.
  const target = cmd.name() === 'restore' ? locations[0] : locations[1]
  const written = [target, backupDir].filter((l) => l !== undefined).map(schemeOf)
  if (cmd.getOptionValueSource('s3StorageClass') === 'cli' && !written.includes('s3')) {
    warnings.push(
      `--s3-storage-class applies to the objects written to an s3:// target or --backup-dir, and this command writes to none: ignored`,
    )
  }
  for (const option of cmd.options) {
    const key = option.attributeName()
    const only = FOR_SCHEMES[key]
    if (only === undefined || cmd.getOptionValueSource(key) !== 'cli') continue
    if (only.schemes.some((s) => schemes.has(s))) continue
    warnings.push(`${option.long} is read by ${only.what} locations only, and this command has none: ignored`)
  }
  return warnings
}

/** The URI scheme of a location (lower case), or undefined for a local path. */
function schemeOf(location: string): string | undefined {
  return /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(location)?.[1]?.toLowerCase()
}
