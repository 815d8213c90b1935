import { setTimeout as sleep } from 'node:timers/promises'

const MiB = 1024 * 1024

/**
 * `data` as an upload body sent slowly, a MiB at a time with a pause after each, so that parts are
 * in flight when a test interrupts the write. `sent` is told the bytes handed out so far.
 * (The pause paces the body, as a slow network would: it waits for nothing.)
 */
export async function* slowBody(data: Buffer, sent: (bytes: number) => void, pauseMs = 20): AsyncGenerator<Buffer> {
  for (let o = 0; o < data.length; o += MiB) {
    const chunk = data.subarray(o, o + MiB)
    sent(o + chunk.length)
    yield chunk
    await sleep(pauseMs)
  }
}
