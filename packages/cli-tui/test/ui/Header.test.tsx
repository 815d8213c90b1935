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
})
