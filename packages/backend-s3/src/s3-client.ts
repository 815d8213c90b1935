import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3'
import type { BuildMiddleware, MetadataBearer, RetryStrategyV2, StandardRetryToken } from '@smithy/types'
import { SyncError } from '@syncflow/core'
import { abortedOnDestroy } from './aborted-on-destroy.js'
import { boundUntilAnswered } from './bound-until-answered.js'

type ClientModule = typeof import('@aws-sdk/client-s3')
type StorageModule = typeof import('@aws-sdk/lib-storage')

let clientModule: Promise<ClientModule> | undefined
let storageModule: Promise<StorageModule> | undefined

/**
 * The AWS SDK, imported on first use (not at import time): local-only commands never load it.
 * The pinned SDK still runs on Node 20, so its "Node 22 will be needed" warning is noise to
 * syncflow's users; it is silenced unless the user set the variable themselves.
 */
export function loadS3Sdk(): Promise<ClientModule> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  clientModule ??= import('@aws-sdk/client-s3')
  return clientModule
}

/** `@aws-sdk/lib-storage`, imported when the first multipart upload starts. */
export function loadLibStorage(): Promise<StorageModule> {
  storageModule ??= import('@aws-sdk/lib-storage')
  return storageModule
}

/** Static credentials (tests, or code that has its own). */
export interface S3Credentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken?: string
}

type AwsCredentialIdentity = S3Credentials & { readonly expiration?: Date }

/** How to reach the service (all optional: the standard AWS configuration chain fills the rest). */
export interface S3ConnectionOptions {
  /** An S3-compatible endpoint URL. [option `s3Endpoint`, else `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`, else AWS] */
  readonly endpoint?: string
  /** The region. [AWS_REGION / the profile's region; for AWS otherwise detected with GetBucketLocation; us-east-1 for custom endpoints] */
  readonly region?: string
  /** Path-style URLs (`endpoint/bucket/key`). [true for custom endpoints, false for AWS] */
  readonly forcePathStyle?: boolean
  /** The shared-config profile. [AWS_PROFILE, else `default`] */
  readonly profile?: string
  /** Static credentials. [the default provider chain: env, shared files, SSO, web identity, ECS, IMDS] */
  readonly credentials?: S3Credentials
  /** Attempts per request inside the SDK (throttling, 5xx). [3] */
  readonly maxAttempts?: number
  /**
   * Connection timeout: a TCP connection not made within this long fails TRANSIENT. Until the
   * service has answered one request, so does a request without a body (HeadBucket, LIST, HEAD,
   * GET) not answered within this long, and without the SDK's retries: HTTP has no greeting, so
   * that is how a server that accepts and never answers is found "not connected". [10 s]
   */
  readonly connectTimeoutMs?: number
  /**
   * I/O timeout: a request whose connection moves no data for this long (the service went silent
   * mid-answer, or never answers) fails TRANSIENT, after the SDK's `maxAttempts` tries. [60 s]
   */
  readonly ioTimeoutMs?: number
}

/** A ready client plus what the error messages need. */
export interface S3Connection {
  readonly client: S3Client
  readonly sdk: ClientModule
  /** The custom endpoint, or undefined for AWS. */
  readonly endpoint: string | undefined
  readonly region: string
  /** The connection and I/O timeouts in force (the options, else their defaults), for messages. */
  readonly connectTimeoutMs: number
  readonly ioTimeoutMs: number
  /** Where the credentials came from, once they have been resolved. */
  credentialSource(): string | undefined
}

/** The endpoint from the option or the environment (`AWS_ENDPOINT_URL_S3` wins over `AWS_ENDPOINT_URL`). */
export function resolveEndpoint(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = option || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined
  return value?.replace(/\/+$/, '')
}

/**
 * Refuses an endpoint that is not an http(s) URL (USAGE), naming where it came from. `--s3-endpoint`
 * is checked when the flag is parsed, the environment was not: `AWS_ENDPOINT_URL=127.0.0.1:9000`
 * (no scheme) was an "internal error … Invalid URL (TypeError)", a bug in syncflow (QA 25b #5).
 */
function checkEndpoint(endpoint: string, option: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  let url: URL | undefined
  try {
    url = new URL(endpoint)
  } catch {
    url = undefined
  }
  if (url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:')) return
  const from = option
    ? 'the S3 endpoint option'
    : env.AWS_ENDPOINT_URL_S3
      ? 'the environment variable AWS_ENDPOINT_URL_S3'
      : 'the environment variable AWS_ENDPOINT_URL'
  throw new SyncError(
    'USAGE',
    `the S3 endpoint ${JSON.stringify(endpoint)} (from ${from}) is not an http:// or https:// URL`,
    {
      hint: 'Write it with its scheme, e.g. http://127.0.0.1:9000 (or https://s3.example.com).',
    },
  )
}

// The keys `@aws-sdk/core` sets on resolved credentials (`$source`), in words for error hints.
const SOURCES: readonly (readonly [string, (profile: string) => string])[] = [
  ['CREDENTIALS_CODE', () => 'the credentials given to syncflow'],
  ['CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN', () => 'the web identity token in AWS_WEB_IDENTITY_TOKEN_FILE'],
  ['CREDENTIALS_ENV_VARS', () => 'the environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY'],
  ['CREDENTIALS_PROFILE_SSO', (p) => `AWS SSO (profile "${p}")`],
  ['CREDENTIALS_SSO', (p) => `AWS SSO (profile "${p}")`],
  ['CREDENTIALS_PROFILE_PROCESS', (p) => `the credential_process of profile "${p}"`],
  ['CREDENTIALS_PROCESS', (p) => `the credential_process of profile "${p}"`],
  ['CREDENTIALS_STS_ASSUME_ROLE', (p) => `the role assumed by profile "${p}"`],
  ['CREDENTIALS_PROFILE_STS_WEB_ID_TOKEN', (p) => `the web identity token of profile "${p}"`],
  [
    'CREDENTIALS_PROFILE',
    (p) =>
      `profile "${p}" in ${process.env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials'} or ${process.env.AWS_CONFIG_FILE ?? '~/.aws/config'}`,
  ],
  ['CREDENTIALS_HTTP', () => 'the container credentials endpoint (ECS/EKS)'],
  ['CREDENTIALS_IMDS', () => 'the EC2 instance metadata service (IMDS)'],
]

function describeSource(creds: AwsCredentialIdentity, profile: string): string {
  const source = (creds as { $source?: Record<string, unknown> }).$source ?? {}
  for (const [key, text] of SOURCES) if (key in source) return text(profile)
  return `the AWS credential chain (profile "${profile}")`
}

/**
 * Creates the S3 client: endpoint and path-style for S3-compatible services, request checksums
 * only when required for them (so a stream body is never sent `aws-chunked`, which radosgw, Swift
 * and others reject or store wrongly), the region from the chain or detected, and credentials
 * from the standard chain with their source remembered for error messages.
 */
export async function connectS3(options: S3ConnectionOptions, bucket: string): Promise<S3Connection> {
  const sdk = await loadS3Sdk()
  const endpoint = resolveEndpoint(options.endpoint)
  if (endpoint !== undefined) checkEndpoint(endpoint, options.endpoint)
  const profile = options.profile ?? process.env.AWS_PROFILE ?? 'default'
  let source: string | undefined
  let chain: (props?: Record<string, unknown>) => Promise<AwsCredentialIdentity>
  if (options.credentials) {
    const given = options.credentials
    chain = async () => given
    source = 'the credentials given to syncflow'
  } else {
    const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers')
    chain = fromNodeProviderChain(options.profile ? { profile: options.profile } : {})
  }
  const named = options.profile ?? process.env.AWS_PROFILE
  const credentials = async (props?: Record<string, unknown>): Promise<AwsCredentialIdentity> => {
    let creds: AwsCredentialIdentity
    try {
      creds = await chain(props)
    } catch (err) {
      throw (named !== undefined && !options.credentials ? await profileError(err, named) : undefined) ?? err
    }
    source ??= describeSource(creds, profile)
    return creds
  }
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000
  const ioTimeoutMs = options.ioTimeoutMs ?? 60_000
  const base: S3ClientConfig = {
    credentials,
    // Resolve each command's middleware stack once, not per request: about a fifth of the SDK's
    // CPU time per small PUT. Only requests sent without options use the cache (any options
    // clear it), which is why small PUTs are sent without an abort signal.
    cacheMiddleware: true,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    requestHandler: {
      connectionTimeout: connectTimeoutMs,
      // Socket inactivity (a server that accepted the connection and went silent: a TRANSIENT
      // TimeoutError, retried), not total time: a big part upload keeps the socket busy.
      // (`requestTimeout` is total time, and without throwOnRequestTimeout only logs a warning.)
      socketTimeout: ioTimeoutMs,
      // As many connections as requests in flight (the engine runs up to 256 transfers at once,
      // 64 by default into S3): a request beyond the limit would only wait in the agent's queue.
      // Sockets open on demand and close when idle.
      httpAgent: { keepAlive: true, maxSockets: 256 },
      httpsAgent: { keepAlive: true, maxSockets: 256 },
    },
    ...(endpoint
      ? {
          endpoint,
          forcePathStyle: options.forcePathStyle ?? true,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : { forcePathStyle: options.forcePathStyle ?? false, followRegionRedirects: true }),
  }
  const region = options.region ?? (await configuredRegion(sdk, base)) ?? (endpoint ? 'us-east-1' : undefined)
  const client = new sdk.S3Client({
    ...base,
    region: region ?? (await detectRegion(sdk, base, bucket)),
  })
  // Read by each command when it first runs, so replacing it here applies to every request.
  // Closing the backend aborts what is still in flight (see abortedOnDestroy).
  client.config.requestHandler = boundUntilAnswered(abortedOnDestroy(client.config.requestHandler), connectTimeoutMs)
  client.middlewareStack.add(unsignedPayload, { step: 'build', name: 'syncflowUnsignedPayload' })
  // The SDK's logger middleware filters every request's input and output for a log line (a walk of
  // the schemas, ~2% of the client's CPU per small PUT), even for its no-op logger: nothing here
  // logs through it.
  client.middlewareStack.remove('loggerMiddleware')
  // Read by each request (as the handler above): the SDK's retries, with a quota per request.
  client.config.retryStrategy = retriesPerRequest(
    (await import('@smithy/core/retry')).StandardRetryStrategy,
    client.config.maxAttempts,
  )
  return {
    client,
    sdk,
    endpoint,
    region: await client.config.region(),
    connectTimeoutMs,
    ioTimeoutMs,
    credentialSource: () => source,
  }
}

/**
 * The SDK's standard retries (its `maxAttempts` tries, its backoff) with a retry quota per request
 * instead of one per client. The client's one (500 tokens, 5 per retry, given back 1 per success
 * without one) runs out under throttling that lasts (30% of HEADs answered 503 SlowDown with 64
 * requests in flight): then no request is retried at all, and `check --checksum` of 2,500 files
 * failed 370 of them (a stat in planning, which the engine does not retry), a copy 30 of 2,700,
 * each on its first 503 (QA 27e). rclone paces and retries each request on its own; so does this.
 */
function retriesPerRequest(
  Standard: typeof import('@smithy/core/retry').StandardRetryStrategy,
  maxAttempts: () => Promise<number>,
): () => Promise<RetryStrategyV2> {
  const strategyOf = new WeakMap<object, InstanceType<typeof Standard>>()
  const strategy: RetryStrategyV2 = {
    acquireInitialRetryToken: async (scope) => {
      const own = new Standard(maxAttempts)
      const token = await own.acquireInitialRetryToken(scope)
      strategyOf.set(token, own)
      return token
    },
    refreshRetryTokenForRetry: async (token, info) => {
      const own = strategyOf.get(token) ?? new Standard(maxAttempts)
      const next = await own.refreshRetryTokenForRetry(token as StandardRetryToken, info)
      strategyOf.set(next, own)
      return next
    },
    recordSuccess: (token) => strategyOf.get(token)?.recordSuccess(token as StandardRetryToken),
  }
  return async () => strategy
}

/**
 * The error for credentials not found with a profile named (AWS_PROFILE, `profile`): it is in
 * neither shared file, or it is and gave no keys. The chain only says "Could not load credentials
 * from any providers", and the general hint to set AWS_PROFILE misled the user who had (QA 17 #8;
 * the aws CLI says "The config profile (nope) could not be found"). Undefined for any other failure.
 */
async function profileError(err: unknown, name: string): Promise<SyncError | undefined> {
  if ((err as { name?: unknown } | null)?.name !== 'CredentialsProviderError') return undefined
  let found: boolean
  try {
    const { loadSharedConfigFiles } = await import('@smithy/core/config')
    const { configFile, credentialsFile } = await loadSharedConfigFiles({ ignoreCache: true })
    found = name in configFile || name in credentialsFile
  } catch {
    return undefined
  }
  const config = process.env.AWS_CONFIG_FILE ?? '~/.aws/config'
  const creds = process.env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials'
  if (found) {
    // There, but nothing in it gave keys: the general hint (set AWS_PROFILE) did not apply (QA 18 #7).
    const detail = (err as { message?: unknown }).message
    return new SyncError(
      'AUTH',
      `no AWS credentials from the profile "${name}"${typeof detail === 'string' && detail ? `: ${detail}` : ''}`,
      {
        op: 's3.credentials',
        hint: `Give it keys (aws configure --profile ${name}), or log in if it uses SSO (aws sso login --profile ${name}); it was read from ${config} and ${creds}.`,
        cause: err,
      },
    )
  }
  return new SyncError('AUTH', `the AWS profile "${name}" is in neither ${config} nor ${creds}`, {
    op: 's3.credentials',
    hint: `Check the profile's name (AWS_PROFILE), or create it: aws configure --profile ${name}${
      name === 'default' ? '' : '; unset AWS_PROFILE to use the default chain'
    }.`,
    cause: err,
  })
}

/** The region of the configuration chain (env, profile), or undefined when none is set. */
async function configuredRegion(sdk: ClientModule, base: S3ClientConfig): Promise<string | undefined> {
  const probe = new sdk.S3Client({ ...base })
  try {
    return (await probe.config.region()) || undefined
  } catch {
    return undefined
  } finally {
    probe.destroy()
  }
}

/** The bucket's region from GetBucketLocation (answered from any region); us-east-1 when unknown. */
async function detectRegion(sdk: ClientModule, base: S3ClientConfig, bucket: string): Promise<string> {
  const probe = new sdk.S3Client({ ...base, region: 'us-east-1' })
  try {
    const out = await probe.send(new sdk.GetBucketLocationCommand({ Bucket: bucket }))
    const c = out.LocationConstraint as string | undefined
    return !c ? 'us-east-1' : c === 'EU' ? 'eu-west-1' : c
  } catch {
    // No permission for GetBucketLocation: us-east-1, and followRegionRedirects fixes the rest.
    return 'us-east-1'
  } finally {
    probe.destroy()
  }
}

/**
 * Signs a body as UNSIGNED-PAYLOAD where its integrity is checked otherwise: over TLS, or by the
 * Content-MD5 the service verifies (every single PUT carries one). The SDK otherwise hashes each
 * body with SHA-256 for the signature over plain http, and the service hashes it again to check:
 * CPU on both ends for no more safety than the MD5 gives (a part without Content-MD5, over http,
 * keeps its signed hash). As the AWS SDKs for Java and Go do over https.
 */
const unsignedPayload: BuildMiddleware<object, MetadataBearer> = (next) => async (args) => {
  const request = args.request as { protocol?: string; body?: unknown; headers?: Record<string, string> }
  const headers = request.headers
  if (
    headers !== undefined &&
    request.body !== undefined &&
    (request.protocol === 'https:' || headers['content-md5'] !== undefined)
  ) {
    headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD'
  }
  return next(args)
}
