import type { FileSignature } from '../backend/backend.js'

/**
 * A signature that is still arriving (see `GenerateDeltaOptions.progress`): its arrays already
 * have their full length, and the sums of the first `received()` blocks are set.
 */
export interface SignatureProgress {
  /** Blocks whose sums are set so far; all of them once the signature is complete. */
  received(): number
  /** Resolves when more blocks have arrived or the signature is complete; rejects if it failed. */
  more(): Promise<void>
}

/** A signature as it arrives: `signature`'s arrays fill in as `progress` tells. */
export interface SignatureInProgress {
  readonly signature: FileSignature
  readonly progress: SignatureProgress
  /** Stops receiving it (when the caller gives up before it is complete); no-op once complete. */
  cancel(): void
}

/** The registered key of `ProgressiveSignatures.signatureInProgress` (two copies of core agree). */
export const SIGNATURE_IN_PROGRESS: unique symbol = Symbol.for('syncflow.signatureInProgress') as never

/**
 * A backend (DeltaCapable) that can hand out a signature as it arrives: the caller starts matching
 * against the blocks known so far instead of waiting for the target to read its whole file.
 * Resolves once the first blocks (and the parameters) are in; `undefined` as `signature` would.
 */
export interface ProgressiveSignatures {
  [SIGNATURE_IN_PROGRESS](
    path: string,
    blockSize: number,
    opts: { signal?: AbortSignal },
  ): Promise<SignatureInProgress | undefined>
}

/** `backend` as `ProgressiveSignatures` when it is one, else `undefined`. */
export function progressiveSignatures(backend: unknown): ProgressiveSignatures | undefined {
  return typeof backend === 'object' &&
    backend !== null &&
    typeof (backend as Partial<ProgressiveSignatures>)[SIGNATURE_IN_PROGRESS] === 'function'
    ? (backend as ProgressiveSignatures)
    : undefined
}
