// Public API of @syncflow/backend-local.

export { makeDirectories } from '@syncflow/core'
export { type DirectoryChain, directoryChain, machineId } from './directory-chain.js'
export { existingRealPath } from './existing-real-path.js'
export type { FencedDirectory } from './fence.js'
export type { LocalBackendOptions, LocalWriteOptions } from './local-backend.js'
export { createLocalBackend, LocalBackend } from './local-backend.js'
export { localBackend, localRootOf } from './local-plugin.js'
export {
  type FilesystemPlace,
  type MountEntry,
  parseMountInfo,
  placeOf,
  placesReachedFrom,
  readMounts,
} from './mount-place.js'
export { PARTIAL_MIN_BYTES, partialPathOf } from './temp-file.js'
export { toSyncError } from './to-sync-error.js'
export { changedWhileRead, checkBeforeEnd, sameFile } from './unchanged-while-read.js'
export { decodableRealPath } from './undecodable-names.js'
export { utimeSeconds } from './utime-seconds.js'
export { VerifiedDirs } from './verified-dirs.js'
export { listedOf, type SymlinkPolicy } from './walk-sorted.js'
