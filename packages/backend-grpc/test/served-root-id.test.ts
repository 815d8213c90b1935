import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { LocalTree } from '../src/server/local-tree.js'
import { installationId } from '../src/server/served-root.js'

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}

// A `watch` into a server whose host rebooted failed every cycle: the served directory's identity
// held the boot id, so after a reboot the same directory was "another one".
it('the served directory is told by an identity that outlives a reboot: the machine id, not the boot id', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sf-root-id-'))
  try {
    const tree = await LocalTree.open(dir)
    expect(tree.id.startsWith(`${installationId()}:`)).toBe(true)
    const boot = read('/proc/sys/kernel/random/boot_id')
    if (boot !== undefined) expect(tree.id).not.toContain(boot)
    // Nor the machine id or host name themselves: both go to every client, and machine-id(5)
    // says the id is confidential, only ever shown hashed with a key of the application's.
    const machine = read('/etc/machine-id') ?? read('/var/lib/dbus/machine-id')
    if (machine !== undefined) expect(tree.id).not.toContain(machine)
    expect(installationId()).toMatch(/^[0-9a-f]{32}$/)
    // The same directory opened again (a restarted server) is the same one.
    expect((await LocalTree.open(dir)).id).toBe(tree.id)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
