import { Box } from 'ink'
import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { Header } from '../../src/ui/Header.js'

describe('Header', () => {
  it('names the command, the route and the state, with the keys when there is room', () => {
    const { lastFrame } = render(
      <Header command="sync" source="./a" target="s3://b/p" status="syncing" paused={false} width={80} color={false} />,
    )
    expect(lastFrame()).toContain('syncflow sync ./a → s3://b/p [syncing]')
    expect(lastFrame()).toContain('p pause · q quit · e errors · ? help')
  })

  it('shows a two-way route as A ⇄ B, cut or whole', () => {
    const { lastFrame } = render(
      <Header
        command="watch --bisync"
        source="./a"
        target="./b"
        status="watching"
        paused={false}
        width={80}
        color={false}
      />,
    )
    expect(lastFrame()).toContain('syncflow watch --bisync ./a ⇄ ./b [watching]')
    const long = `/very/${'long/'.repeat(30)}a`
    const cut = render(
      <Header command="bisync" source={long} target="/b" status="syncing" paused={false} width={60} color={false} />,
    ).lastFrame()
    expect(cut).toMatch(/… ?.* ⇄ \/b \[syncing\]/)
  })

  it('says PAUSED, and cuts a long route to fit', () => {
    const long = `/very/${'long/'.repeat(30)}source`
    const { lastFrame } = render(
      <Header command="watch" source={long} target="/dst" status="syncing" paused width={60} color={false} />,
    )
    const frame = lastFrame() ?? ''
    expect(frame).toContain('[PAUSED]')
    expect(frame).toContain('…')
    const wide = render(
      <Header command="sync" source="./a" target="./b" status="syncing" paused width={80} color={false} />,
    ).lastFrame()
    expect(wide).toContain('[PAUSED]  p resume · q quit')
    expect(Math.max(...frame.split('\n').map((l) => l.length))).toBeLessThanOrEqual(60)
  })

  it('on a narrow terminal keeps the state whole and shortens the route first, cutting nothing at the end', () => {
    const at = (width: number, status = 'syncing') =>
      render(
        <Box width={width}>
          <Header
            command="sync"
            source="/home/user/src"
            target="/mnt/backup/dst"
            status={status}
            paused={false}
            width={width}
            color={false}
          />
        </Box>,
      ).lastFrame() ?? ''
    expect(at(40)).toMatch(/^syncflow sync …\S+ → …\S+ \[syncing\]$/)
    expect(at(40).length).toBeLessThan(40)
    expect(at(40, 'interrupted')).toMatch(/ → .*\[interrupted\]$/)
    // The narrowest screen: the name of the tool and then the route give way, the state stays.
    expect(at(20)).toMatch(/^sync .*\[syncing\]$/)
    expect(at(20).length).toBeLessThan(20)
    expect(at(20, 'interrupted')).toBe('sync [interrupted]')
  })

  // QA 27a: a source directory named with ESC ]0;…BEL set the terminal's title when the route fitted.
  it('shows the control characters of a location as escapes, never sends them', () => {
    const source = '/tmp/esc\u001b]0;PWNED\u0007\u001b[2Jdir'
    for (const width of [100, 40]) {
      const frame =
        render(
          <Header
            command="sync"
            source={source}
            target="/dst"
            status="done"
            paused={false}
            width={width}
            color={false}
          />,
        ).lastFrame() ?? ''
      expect(frame).not.toContain('\u001b')
      expect(frame).not.toContain('\u0007')
      if (width === 100) expect(frame).toContain('/tmp/esc\\x1b]0;PWNED\\x07\\x1b[2Jdir → /dst [done]')
    }
  })
})
