import { inject } from 'vitest'

/** What state-servers-global-setup.ts provides for each shared store: a server to use, or why there is none. */
export type StateServerEnv =
  | { readonly available: true; readonly url: string }
  | { readonly available: false; readonly reason: string }

declare module 'vitest' {
  export interface ProvidedContext {
    redis: StateServerEnv
    postgres: StateServerEnv
  }
}

/** The server of this run for `name` (or why there is none). */
export function stateServerEnv(name: 'redis' | 'postgres'): StateServerEnv {
  return inject(name)
}
