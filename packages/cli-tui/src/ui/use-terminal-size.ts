import { useStdout } from 'ink'
import { useEffect, useState } from 'react'

/** Columns and rows of the terminal. */
export interface TerminalSize {
  readonly columns: number
  readonly rows: number
}

/** The size of a stream, with the classic 80x24 when it cannot tell (a pipe, a test stream). */
export function terminalSizeOf(stream: { columns?: number; rows?: number }): TerminalSize {
  return { columns: stream.columns || 80, rows: stream.rows || 24 }
}

/** The terminal size, updated when the terminal is resized (listens in an effect, removed on cleanup). */
export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout()
  const [size, setSize] = useState(() => terminalSizeOf(stdout))
  useEffect(() => {
    const onResize = (): void => setSize(terminalSizeOf(stdout))
    stdout.on('resize', onResize)
    return () => {
      stdout.off('resize', onResize)
    }
  }, [stdout])
  return size
}
