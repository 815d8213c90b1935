import { expect } from 'vitest'
import type { Backend, ListOptions } from '../../backend/backend.js'
import { compareEntries, type Entry, entrySortKey } from '../../model/entry.js'
import { listAll as listAsYielded } from '../backend-io.js'

/**
 * The suite's listings: `backend-io`'s, but an entry out of order (or listed twice) fails the test
 * with what is wrong and how to fix it. Without this, every test that compares a listing with the
 * files it wrote failed on an unsorted backend with a bare array diff (modes, sizes, names in
 * another order) that read as if those values were wrong.
 */
export async function listAll(backend: Backend, opts?: ListOptions): Promise<Entry[]> {
  const entries = await listAsYielded(backend, opts)
  for (let i = 1; i < entries.length; i++) {
    const before = entries[i - 1] as Entry
    const entry = entries[i] as Entry
    const order = compareEntries(before, entry)
    if (order < 0) continue
    const [was, now] = [JSON.stringify(entrySortKey(before)), JSON.stringify(entrySortKey(entry))]
    expect.fail(
      `${backend.uri}: list() yielded ${order === 0 ? `${now} twice` : `${now} after ${was}`}: a listing yields each ` +
        'entry once, in ascending UTF-8 byte order of entrySortKey (the path, plus "/" for a directory). Sort each ' +
        "directory's names with compareUtf8 from @syncflow/core, not JavaScript's sort(), < or localeCompare " +
        '(CONTRIBUTING.md, "Writing a backend", item 1): the engine merge-joins the two sides\' listings on that order.',
    )
  }
  return entries
}

/** The listing as sort keys (`path`, plus `/` for directories), checked for order as `listAll`. */
export async function listKeys(backend: Backend, opts?: ListOptions): Promise<string[]> {
  return (await listAll(backend, opts)).map(entrySortKey)
}

/** The paths of the files (not directories or symlinks) listed, checked for order as `listAll`. */
export async function listFiles(backend: Backend, opts?: ListOptions): Promise<string[]> {
  return (await listAll(backend, opts)).filter((e) => e.kind === 'file').map((e) => e.path)
}
