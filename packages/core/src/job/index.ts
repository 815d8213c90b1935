export { defaultStateDir, defaultStateFile } from './default-state-dir.js'
export { jobIdOf } from './job-id.js'
export type { JobLock, JobLockOptions } from './job-lock.js'
export { acquireJobLock, assertJobUnlocked } from './job-lock.js'
