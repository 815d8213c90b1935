import mime from 'mime/lite'

/**
 * The Content-Type of an uploaded file from its extension (`index.html` → `text/html`), as rclone
 * and the AWS CLI set it: a bucket served over HTTP (website hosting, a CDN) needs it. Undefined
 * for an unknown extension: the service's default (`binary/octet-stream` or `application/octet-stream`).
 */
export function contentTypeOf(path: string): string | undefined {
  return mime.getType(path) ?? undefined
}
