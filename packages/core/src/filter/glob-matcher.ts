import { type CharTest, type GlobBudget, type GlobNode, parseGlob } from './parse-glob.js'

// Why not a RegExp: V8's RegExp backtracks, and a glob such as `*a*a*a*a*a*a*a*ab` (picomatch's
// `[^/]*?a[^/]*?a…`) took minutes on one 60-character name, blocking the event loop so that not
// even Ctrl-C stopped the run; a `.syncflowignore` in the source tree could do that to anyone
// syncing from it (QA 10 #3). Here the glob is a nondeterministic automaton, run over the string
// keeping the set of states it can be in (Thompson's construction, as RE2 and Go's regexp do):
// every character is looked at once per state, so a match costs at most O(length × states),
// whatever the pattern; and as the sets met are remembered with their moves (a lazily built
// deterministic automaton), a common glob costs one array look-up per character.

const CHAR = 0
const SPLIT = 1
const MATCH = 2

const anyChar: CharTest = () => true
const notSlash: CharTest = (cp) => cp !== 0x2f
const isSlash: CharTest = (cp) => cp === 0x2f

/** The automaton of one glob: state `s` is `kind[s]`, with `out1`/`out2` and, for a `CHAR`, `test`. */
class Automaton {
  readonly kind: number[] = []
  readonly out1: number[] = []
  readonly out2: number[] = []
  readonly test: (CharTest | undefined)[] = []

  add(kind: number, test?: CharTest, out1 = -1, out2 = -1): number {
    this.kind.push(kind)
    this.test.push(test)
    this.out1.push(out1)
    this.out2.push(out2)
    return this.kind.length - 1
  }

  /** The states of `nodes`, built back to front, each leading to `next`; returns the first. */
  sequence(nodes: readonly GlobNode[], next: number): number {
    let entry = next
    for (let k = nodes.length - 1; k >= 0; k--) entry = this.node(nodes[k] as GlobNode, entry)
    return entry
  }

  node(n: GlobNode, next: number): number {
    switch (n.t) {
      case 'char':
        return this.add(CHAR, n.test, next)
      case 'slash':
        return this.add(CHAR, isSlash, next)
      case 'star':
        return this.loop(notSlash, next)
      case 'any':
        return this.loop(anyChar, next)
      case 'dirs': {
        // (.*/)?: a loop over any characters that must end on a `/`, or nothing.
        const loop = this.loop(anyChar, this.add(CHAR, isSlash, next))
        return this.add(SPLIT, undefined, loop, next)
      }
      case 'subtree': {
        // (/.*)?: a `/` then anything, or nothing.
        const slash = this.add(CHAR, isSlash, this.loop(anyChar, next))
        return this.add(SPLIT, undefined, slash, next)
      }
      case 'alt': {
        let entry = -1
        for (let k = n.parts.length - 1; k >= 0; k--) {
          const part = this.sequence(n.parts[k] as readonly GlobNode[], next)
          entry = entry < 0 ? part : this.add(SPLIT, undefined, part, entry)
        }
        return entry
      }
    }
  }

  /** `test*` then `next`. */
  loop(test: CharTest, next: number): number {
    const split = this.add(SPLIT, undefined, -1, next)
    this.out1[split] = this.add(CHAR, test, split)
    return split
  }
}

/**
 * A set of automaton states: a state of the deterministic automaton, built lazily from the
 * nondeterministic one as RE2 does, with its moves on each character remembered once seen.
 */
class StateSet {
  /** Moves on ASCII characters, by code. */
  readonly ascii: (StateSet | undefined)[] = new Array(128)
  /** Moves on other characters, up to `MAX_OTHER_MOVES` of them. */
  other: Map<number, StateSet> | undefined
  constructor(
    readonly states: Int32Array,
    readonly accepting: boolean,
    /** Whether the set is kept (reachable through remembered moves). */
    readonly kept: boolean,
  ) {}
}

/**
 * Sets kept per glob, and states in them all. Past either, further sets are computed at each step
 * and dropped, so the memory of a glob is bounded (a long pattern makes large sets) while its time
 * stays linear (one pass over the set per character).
 */
const MAX_KEPT_SETS = 1000
const MAX_KEPT_STATES = 100_000
/** Moves on non-ASCII characters remembered per set (names in one script use few of them). */
const MAX_OTHER_MOVES = 256

/**
 * A matcher of a whole string against a glob in `literalGlob`'s syntax (see `parseGlob`), in time
 * linear in the string for a given glob, without backtracking.
 * @throws SyncError `USAGE` from `parseGlob`.
 */
export function globMatcher(glob: string, budget?: GlobBudget): (s: string) => boolean {
  const nodes = parseGlob(glob, budget)
  // A glob without wildcards is its own text (the common `node_modules`, `.DS_Store`).
  const text = literalText(nodes)
  if (text !== undefined) return (s) => s === text

  const a = new Automaton()
  const matchState = a.add(MATCH)
  const start = a.sequence(nodes, matchState)
  const { kind, out1, out2, test } = a
  const n = kind.length
  const list = new Int32Array(n)
  const stack = new Int32Array(n)
  // A stamp per state saying it is already in `list`; a new stamp empties it.
  const seen = new Uint32Array(n)
  let stamp = 0
  const kept = new Map<string, StateSet>()
  let keptStates = 0

  /** Adds `s` and the states it reaches without reading a character to `list`; returns its new length. */
  const addClosure = (length: number, s: number): number => {
    let top = 0
    stack[top++] = s
    while (top > 0) {
      const q = stack[--top] as number
      if (seen[q] === stamp) continue
      seen[q] = stamp
      if (kind[q] === SPLIT) {
        stack[top++] = out2[q] as number
        stack[top++] = out1[q] as number
      } else list[length++] = q
    }
    return length
  }
  const nextStamp = () => {
    if (++stamp === 0xffffffff) {
      seen.fill(0)
      stamp = 1
    }
  }
  /** The set of the first `length` states of `list`. */
  const setOf = (length: number): StateSet => {
    const states = list.slice(0, length).sort()
    const key = states.join(',')
    let set = kept.get(key)
    if (set === undefined) {
      const keep = kept.size < MAX_KEPT_SETS && keptStates + states.length <= MAX_KEPT_STATES
      set = new StateSet(states, states.includes(matchState), keep)
      if (keep) {
        kept.set(key, set)
        keptStates += states.length
      }
    }
    return set
  }

  nextStamp()
  const startSet = setOf(addClosure(0, start))

  const move = (from: StateSet, cp: number): StateSet => {
    nextStamp()
    let length = 0
    for (const q of from.states) {
      if (kind[q] === CHAR && (test[q] as CharTest)(cp)) length = addClosure(length, out1[q] as number)
    }
    const to = setOf(length)
    // A move to a set that is not kept is not remembered either, or the dropped sets would pile up.
    if (to.kept) {
      if (cp < 128) from.ascii[cp] = to
      else {
        from.other ??= new Map()
        if (from.other.size < MAX_OTHER_MOVES) from.other.set(cp, to)
      }
    }
    return to
  }

  return (s) => {
    let set = startSet
    for (let i = 0; i < s.length; ) {
      if (set.states.length === 0) return false
      const cp = s.codePointAt(i) as number
      i += cp > 0xffff ? 2 : 1
      set = (cp < 128 ? set.ascii[cp] : set.other?.get(cp)) ?? move(set, cp)
    }
    return set.accepting
  }
}

/** The text a glob of literal characters and slashes matches, or `undefined` if it has a wildcard. */
function literalText(nodes: readonly GlobNode[]): string | undefined {
  let text = ''
  for (const n of nodes) {
    if (n.t === 'slash') text += '/'
    else if (n.t === 'char' && n.lit !== undefined) text += String.fromCodePoint(n.lit)
    else return undefined
  }
  return text
}
