/**
 * `--s3-storage-class`: an S3 storage class name as the services spell them, in capitals
 * (`STANDARD_IA`; a service's own, such as radosgw's, likewise). Lower case is refused with the
 * name to give, not sent: AWS refuses `standard_ia` only once the first upload is under way.
 */
export function parseStorageClass(value: string): string {
  const name = value.trim()
  if (/^[A-Z][A-Z0-9_]*$/.test(name)) return name
  if (/^[a-zA-Z][a-zA-Z0-9_]*$/.test(name)) {
    throw new Error(`Storage classes are named in capitals: --s3-storage-class ${name.toUpperCase()}.`)
  }
  throw new Error(
    'Give a storage class name, e.g. --s3-storage-class STANDARD_IA (AWS: STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE).',
  )
}
