import { statSync } from 'node:fs'

/**
 * Set by scripts/bundle.mjs (esbuild `define`), only in the bundle: the JSON of `[file, mtimeMs][]`,
 * the tsbuildinfo files the bundle was built from (relative to dist/bin.js) and their mtimes.
 */
declare const SYNCFLOW_BUNDLE_INPUTS: string | undefined

/**
 * When this module is part of a bundle (dist/bin.js) built before the current TypeScript build,
 * the URL of tsc's own entry (dist/index.js) to run instead; otherwise undefined. A bundle goes stale
 * when someone runs `tsc -b` alone after an edit: tsc rewrites the modules it changed but not the
 * bundle, which would run the old code. Installed packages ship no tsbuildinfo, so they never fall
 * back. A few `stat` calls: microseconds.
 */
export function staleBundle(): URL | undefined {
  if (typeof SYNCFLOW_BUNDLE_INPUTS !== 'string') return undefined
  for (const [file, mtimeMs] of JSON.parse(SYNCFLOW_BUNDLE_INPUTS) as [string, number][]) {
    const st = statSync(new URL(file, import.meta.url), { throwIfNoEntry: false })
    if (st !== undefined && st.mtimeMs !== mtimeMs) return new URL('./index.js', import.meta.url)
  }
  return undefined
}
