import { useInsertionEffect, useRef } from 'react'

/** Clears the whole screen and moves the cursor home (the scrollback is left alone). */
export const CLEAR_SCREEN = '\x1b[2J\x1b[H'

/**
 * When the terminal gets narrower, Ink erases its previous frame line by line, as many lines as it
 * wrote; but a terminal that re-wraps its contents on resize (tmux, most modern terminals) has by
 * then turned each long line of that frame into two or more, so the top of the old frame stayed on
 * screen above the new one. This clears the screen first: registered in front of Ink's own resize
 * handler, which then draws the new frame from the top. Returns the function that removes it.
 */
export function clearOnShrink(stdout: NodeJS.WriteStream): () => void {
  if (!stdout.isTTY) return () => {}
  let width = stdout.columns
  const onResize = (): void => {
    if (stdout.columns < width) stdout.write(CLEAR_SCREEN)
    width = stdout.columns
  }
  stdout.prependListener('resize', onResize)
  return () => {
    stdout.off('resize', onResize)
  }
}

/**
 * Clears the screen when a frame is laid out narrower than the one before, just before Ink draws
 * it: insertion effects run before Ink's commit hook writes the frame. On a resize Ink first redraws
 * at once with the tree React laid out for the old width: its lines wrapped on the narrower screen,
 * Ink then erased fewer lines than the screen held, and pieces of old frames stayed above the new
 * one (QA, `ui --watch`). Clipping the frame to the screen instead cut a character off every row
 * holding a zero-width one (slice-ansi counts it as a column).
 */
export function useClearOnNarrower(columns: number, stdout: NodeJS.WriteStream): void {
  const last = useRef(columns)
  useInsertionEffect(() => {
    if (columns < last.current && stdout.isTTY) stdout.write(CLEAR_SCREEN)
    last.current = columns
  }, [columns, stdout])
}
