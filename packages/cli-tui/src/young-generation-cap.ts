import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'

/**
 * Memory stays flat as trees grow: V8 doubles its young generation (up to 2 x 16 MiB) whenever many
 * objects survive a scavenge, which a listing's window of entries always does on a long run. The live
 * heap of a sync stays about 10 MiB whatever the tree, so growth past a few MiB only buys fewer
 * scavenges: at 100,000 files it was +23 MiB of RSS (1.43x the 10,000-file figure). Keeping it at its
 * first size (growth factor 1 from the start) flattened memory but cost an initial sync of 10,000
 * small files ~460 scavenges instead of ~60. So it may grow to 8 MiB (both semi-spaces), then stops:
 * V8 reads the flag each time the young generation would grow, so setting it once running works.
 */
const YOUNG_GENERATION_CAP = 8 * 1024 * 1024

let capped = false
let freed = false
let events = 0

/** Stops the young generation's growth once it has reached the cap. A few µs; true once stopped. */
function checkYoungGeneration(): boolean {
  if (capped) return true
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')
  if (young === undefined || young.space_size >= YOUNG_GENERATION_CAP) stopYoungGeneration()
  return capped
}

function stopYoungGeneration(): void {
  setFlagsFromString('--semi-space-growth-factor=1')
  capped = true
}

/**
 * Checks every 32nd event of a run. A timer alone was not enough: an engine emitting events from
 * one long chain of promises starves timers, and the young generation then grew past the cap
 * (4 -> 16 MiB between two polls), in `sync` but not in `ui`, whose frames let the timer run: the
 * two commands no longer did the same garbage collection (100 scavenges against 55 for 10,000 files).
 *
 * Once the run starts transferring, the cap is lifted (V8's own growth, up to its constant limit):
 * the cap is what keeps a no-op re-sync's memory flat (a listing's window of entries survives every
 * scavenge), while a run that copies files makes short-lived garbage per file (buffers, events,
 * promises) and, capped, spent ~20% of an initial sync of 10,000 small files on tmpfs collecting it.
 * Lifted, that sync was 5-10% faster at the same peak RSS.
 */
export function onRunEvent(event: { readonly type: string }): void {
  if (event.type === 'started' && !freed) {
    freed = true
    capped = true
    setFlagsFromString('--semi-space-growth-factor=2')
    return
  }
  if (!capped && (++events & 31) === 0) checkYoungGeneration()
}

/**
 * For `watch` and `ui`: the young generation may grow to V8's own limit (2 x 16 MiB), a constant
 * whatever the tree, so memory stays flat all the same (the cap above is what keeps `sync`'s RSS
 * at 100,000 files within 1.3x of 10,000). A burst (10,000 files unpacked into a watched tree)
 * keeps thousands of pending paths alive across scavenges: capped at 8 MiB, absorbing one made
 * ~210 scavenges (0.5 s of pauses), and the burst's cycle was ~13% slower on disk; the UI's frames
 * add their own garbage beside the run's (bench/watch).
 */
export function leaveYoungGenerationUncapped(): void {
  capped = true
}

/**
 * Polls every 5 ms (for phases without events: a listing), for 10 s at most; then freezes the size
 * the young generation has (an idle `watch` need not wake 200 times a second forever; anything that
 * allocates a lot has grown by then).
 */
export function capYoungGeneration(): void {
  const until = Date.now() + 10_000
  const poll = setInterval(() => {
    if (checkYoungGeneration()) clearInterval(poll)
    else if (Date.now() > until) {
      stopYoungGeneration()
      clearInterval(poll)
    }
  }, 5)
  poll.unref()
}
