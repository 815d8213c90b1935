/** Parses `--s3-endpoint URL`: an absolute http(s) URL such as http://127.0.0.1:9000. */
export function parseEndpoint(value: string): string {
  let url: URL | undefined
  try {
    url = new URL(value.trim())
  } catch {
    url = undefined
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new Error('Use an http:// or https:// URL, e.g. --s3-endpoint http://127.0.0.1:9000.')
  }
  return value.trim()
}
