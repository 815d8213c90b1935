import { describe, inject, it } from 'vitest'

/** What global-setup.ts provides to the S3 tests: a server to use, or why there is none. */
export type S3TestEnv =
  | {
      readonly available: true
      readonly endpoint: string
      readonly accessKeyId: string
      readonly secretAccessKey: string
      readonly region: string
      readonly bucket: string
      /** Every run works below its own prefix (`run-…/`), so runs never see each other's keys. */
      readonly runPrefix: string
      /** True when the server is the throw-away radosgw of scripts/s3 (not a given endpoint). */
      readonly radosgw: boolean
      /**
       * A storage class the server offers besides STANDARD (`S3_TEST_STORAGE_CLASS`: radosgw's COLD,
       * e.g. STANDARD_IA on AWS); without one the storage-class tests are skipped, saying so.
       */
      readonly storageClass?: string
    }
  | { readonly available: false; readonly reason: string }

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3TestEnv
  }
}

/** The server of this run (or why there is none). */
export function s3Env(): S3TestEnv {
  return inject('s3')
}

/**
 * `describe` when a server is available, else `describe.skip` with the reason in the title, so a
 * run without a server shows skipped suites and why, never a silent pass.
 */
export function describeS3(name: string, fn: (env: Extract<S3TestEnv, { available: true }>) => void): void {
  const env = s3Env()
  if (env.available) describe(name, () => fn(env))
  else describe.skip(`${name} (skipped: no S3 server: ${env.reason})`, () => it('needs an S3 server'))
}

/** The server's credentials and region as the environment a CLI run reads them from (the AWS chain). */
export function credentialsEnv(env: Extract<S3TestEnv, { available: true }>): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: env.accessKeyId, AWS_SECRET_ACCESS_KEY: env.secretAccessKey, AWS_REGION: env.region }
}
