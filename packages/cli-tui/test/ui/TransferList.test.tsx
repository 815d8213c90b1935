import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import type { TransferView } from '../../src/ui/sync-view-state.js'
import { TransferList } from '../../src/ui/TransferList.js'

const t = (path: string, bytes: number, total: number): TransferView => ({
  path,
  kind: 'copy',
  bytes,
  total,
  startedAt: 0,
})

describe('TransferList', () => {
  it('shows each transfer with a bar and its bytes', () => {
    const { lastFrame } = render(
      <TransferList transfers={[t('photos/a.jpg', 512, 1024)]} total={1} rows={5} width={80} color={false} />,
    )
    const frame = lastFrame() ?? ''
    expect(frame).toContain('In flight (1)')
    expect(frame).toContain('copy   photos/a.jpg')
    expect(frame).toContain('█████░░░░░')
    expect(frame).toContain('512 B/1.00 KiB')
  })

  it('says how many started actions the pause holds', () => {
    const { lastFrame } = render(
      <TransferList transfers={[t('a', 1, 2)]} total={1} held={8} rows={5} width={80} color={false} />,
    )
    expect(lastFrame()).toContain('In flight (1) · 8 waiting for resume')
    expect(render(<TransferList transfers={[]} total={0} rows={5} width={80} color={false} />).lastFrame()).toBe(
      'In flight (0)',
    )
  })

  it('shows what fits and "+N more"', () => {
    const many = Array.from({ length: 10 }, (_, i) => t(`f${i}`, 0, 10))
    const { lastFrame } = render(<TransferList transfers={many} total={40} rows={4} width={80} color={false} />)
    const lines = (lastFrame() ?? '').split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[3]).toContain('+38 more')
  })

  it('keeps the end of a long path', () => {
    const long = `${'deep/'.repeat(40)}name.txt`
    const { lastFrame } = render(
      <TransferList transfers={[t(long, 1, 2)]} total={1} rows={3} width={80} color={false} />,
    )
    const frame = lastFrame() ?? ''
    expect(frame).toContain('…')
    expect(frame).toContain('name.txt')
    expect(Math.max(...frame.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80)
  })
})
