export type { PathFilter } from './path-filter.js'
