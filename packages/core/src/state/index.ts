export type { Fingerprint, StateRecord, StateStore } from './state-store.js'
