import type { ConflictPolicy, MaxDelete } from '@syncflow/core'
import type { ConfigPath } from './assert-config-paths-readable.js'

/** The symlink policies of the local backend (`--symlinks`). */
export type SymlinkPolicy = 'skip' | 'follow' | 'preserve'

/** Parsed and validated flags of a command, as commander hands them over (absent = not given). */
export interface JobFlags {
  readonly dryRun?: boolean
  readonly json?: boolean
  readonly checksum?: boolean
  readonly sizeOnly?: boolean
  readonly ignoreExisting?: boolean
  /** `-u, --update`: the engine's `skipNewer`. */
  readonly update?: boolean
  /** `-x, --one-file-system`: a local source does not cross into other file systems. */
  readonly oneFileSystem?: boolean
  /** `--max-size`/`--min-size`, in bytes. */
  readonly maxSize?: number
  readonly minSize?: number
  /** `--max-age`/`--min-age`, in milliseconds. */
  readonly maxAge?: number
  readonly minAge?: number
  /** `--modify-window`, in milliseconds. */
  readonly modifyWindow?: number
  readonly concurrency?: number
  readonly exclude?: readonly string[]
  readonly include?: readonly string[]
  /** `--exclude-from`/`--include-from`: the patterns their files hold (merged into `exclude`/`include` by `flagsOf`). */
  readonly excludeFrom?: readonly string[]
  readonly includeFrom?: readonly string[]
  /** `--filter` rules, then those of the `--filter-from` files (merged into `filter` by `flagsOf`). */
  readonly filter?: readonly string[]
  readonly filterFrom?: readonly string[]
  /** `--exclude-if-present`: marker file names (a directory holding one is left out, on both sides). */
  readonly excludeIfPresent?: readonly string[]
  /** `--files-from`: the paths its files list (relative to the source root, not yet checked as RelPaths). */
  readonly filesFrom?: readonly string[]
  /** `--link-dest`: earlier snapshots' directories, as given (a relative one is relative to the target). */
  readonly linkDest?: readonly string[]
  /** `--remove-source-files` (and `move`): each source file the target holds is then deleted from the source. */
  readonly removeSourceFiles?: boolean
  /** `--delete-empty-src-dirs` (rclone's, with a move): the source directories it leaves empty go too. */
  readonly deleteEmptySrcDirs?: boolean
  /** `-H, --hard-links`: the engine's `hardLinks`. */
  readonly hardLinks?: boolean
  readonly deleteExcluded?: boolean
  readonly maxDelete?: MaxDelete
  readonly allowEmptySource?: boolean
  /** `--conflict` (bisync): what a file changed on both sides becomes. */
  readonly conflict?: ConflictPolicy
  /** `--delete-before`: a mirror's deletes first, in a pass of their own. */
  readonly deleteBefore?: boolean
  /** `--backup-dir`: where replaced and deleted target files are kept (a location, as the target). */
  readonly backupDir?: string
  /** `--suffix`, `--suffix-keep-extension`: the names files are kept under in the backup directory. */
  readonly suffix?: string
  readonly suffixKeepExtension?: boolean
  /** A state location, or `false` for `--no-state`; absent = the default SQLite file of the job. */
  readonly state?: string | false
  /** Bytes per second; 0 = no limit. */
  readonly bwlimit?: number
  readonly symlinks?: SymlinkPolicy
  /** false for `--no-check-updated` (commander's default for it is true). */
  readonly checkUpdated?: boolean
  /** true for `--track-renames`, false for `--no-track-renames`; absent: the engine's default. */
  readonly trackRenames?: boolean
  readonly s3Endpoint?: string
  /** `--s3-storage-class`: the storage class of the objects written to s3://. */
  readonly s3StorageClass?: string
  readonly token?: string
  readonly tokenFile?: string
  readonly caFile?: string
  readonly compress?: boolean
  /** `--timeout`: I/O timeout in seconds (grpc://, s3://); 0 = the backend's default. */
  readonly timeout?: number
  /** `--contimeout`: connection timeout in seconds (grpc://, s3://); 0 = the backend's default. */
  readonly contimeout?: number
  readonly blockSize?: number
  /** `--plugin` modules to load (package names or file paths; a config file's relative paths made absolute). */
  readonly plugin?: readonly string[]
  readonly quiet?: boolean
  readonly verbose?: boolean
  readonly config?: string
  /**
   * Not a flag: the files `--config` named for a backend to read (`token-file`, `ca-file`), checked
   * once the command opens a location that reads them (`assertConfigPathsReadable`).
   */
  readonly configPaths?: readonly ConfigPath[]
}
