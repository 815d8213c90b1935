export type { PathFilterOptions } from './create-path-filter.js'
export { createPathFilter } from './create-path-filter.js'
export { IGNORE_FILE_NAME, loadIgnoreFile } from './load-ignore-file.js'
export type { PathFilter } from './path-filter.js'
