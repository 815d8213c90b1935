import { X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { SyncError } from '@syncflow/core'

const HINT =
  "Give --ca-file the certificate (PEM) of the CA that signed the server's certificate; for a self-signed server, the file its --tls-cert names."

const isCert = (pem: string): boolean => /-----BEGIN (TRUSTED )?CERTIFICATE-----/.test(pem)
const isKey = (pem: string): boolean => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)

/**
 * The CA certificates of `--ca-file`, checked before any connection: gRPC takes any bytes as root
 * certificates and ignores what is not one, so a private key or a file of another kind given by
 * mistake surfaced only at the handshake, as an untrusted server ("pass the CA with --ca-file").
 * A USAGE error names the file and what is wrong with it.
 */
export async function readCaFile(file: string): Promise<Buffer> {
  const usage = (message: string, cause?: unknown) =>
    new SyncError('USAGE', `--ca-file ${file}${message}`, { hint: HINT, ...(cause !== undefined ? { cause } : {}) })
  let ca: Buffer
  try {
    ca = await readFile(file)
  } catch (err) {
    // Node's message names the file again (", open '…'"): once is enough.
    const reason = (err as Error).message.replace(/, \w+ '.*'$/s, '')
    throw usage(`: ${reason}`, err)
  }
  const pem = ca.toString('latin1')
  if (!isCert(pem)) {
    throw usage(
      isKey(pem)
        ? ' is a private key, not a certificate'
        : ' is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)',
    )
  }
  // Node's TLS skips a block that does not parse as silently as anything else.
  for (const block of pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []) {
    try {
      new X509Certificate(block)
    } catch (err) {
      throw usage(
        ` holds a certificate that cannot be read: ${(err as Error).message.replace(/^error:[0-9A-F]+:/, '')}`,
        err,
      )
    }
  }
  return ca
}
