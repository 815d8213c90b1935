import { inject } from 'vitest'

/** What redis-global-setup.ts provides: a Redis to use, or why there is none. */
export type RedisTestEnv =
  | { readonly available: true; readonly url: string }
  | { readonly available: false; readonly reason: string }

declare module 'vitest' {
  export interface ProvidedContext {
    redis: RedisTestEnv
  }
}

/** The Redis of this run (or why there is none). */
export function redisEnv(): RedisTestEnv {
  return inject('redis')
}
