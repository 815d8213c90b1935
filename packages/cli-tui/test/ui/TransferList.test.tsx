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

  const MiB = 1024 * 1024
  const rowsAt = (width: number, paths: string[]) =>
    (
      render(
        <TransferList
          transfers={paths.map((p) => t(p, MiB, 2 * MiB))}
          total={paths.length}
          rows={paths.length + 1}
          width={width}
          color={false}
        />,
      ).lastFrame() ?? ''
    )
      .split('\n')
      .slice(1)

  it('on a narrow terminal drops the bar before cutting the sizes', () => {
    for (const width of [40, 50]) {
      const rows = rowsAt(width, ['photos/2024/img-8.jpg', 'a.txt'])
      expect(rows).toHaveLength(2)
      for (const row of rows) {
        expect(row).toMatch(/^copy {3}\S.* 1\.00 MiB\/2\.00 MiB$/)
        expect(row.length).toBeLessThan(width)
      }
      expect(rows[0]).toContain('img-8.jpg')
    }
    // The narrowest screen: the percentage stands for the sizes.
    for (const row of rowsAt(20, ['photos/2024/img-8.jpg'])) {
      expect(row).toMatch(/^copy {3}\S.* 50%$/)
      expect(row.length).toBeLessThan(20)
    }
  })

  it('on a wide terminal keeps each bar near its name', () => {
    const gap = (row: string, name: string) => row.indexOf('█') - (row.indexOf(name) + name.length)
    const rows = rowsAt(250, ['photos/a.jpg', 'photos/2024/06/holiday/IMG_1234.jpg'])
    expect(gap(rows[0]!, 'photos/a.jpg')).toBeGreaterThan(0)
    expect(gap(rows[0]!, 'photos/a.jpg')).toBeLessThanOrEqual(30)
    for (const row of rows) expect(row).toMatch(/█{10}░{10} {5}1\.00 MiB\/2\.00 MiB$/)
    // A long name gets more room, up to a limit, then is cut at its start as on any screen.
    const long = `${'deep/'.repeat(30)}name.txt`
    const [short, cut] = rowsAt(250, ['photos/a.jpg', long])
    expect(cut).toMatch(/^copy {3}…\/(deep\/)+name\.txt █/)
    expect(cut!.indexOf('█')).toBeLessThanOrEqual(70)
    expect(short!.indexOf('█')).toBe(cut!.indexOf('█'))
  })
})
