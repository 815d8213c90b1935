import { createPrivateKey, X509Certificate } from 'node:crypto'
import { createSecureContext } from 'node:tls'
import { SyncError } from '@syncflow/core'

/** How the certificate and the key are named in messages (the flags and files of `syncflow serve`). */
export interface TlsPairNames {
  readonly cert: string
  readonly key: string
}

const CERT_FLAG = '--tls-cert'
const KEY_FLAG = '--tls-key'
const isCert = (pem: string): boolean => /-----BEGIN (TRUSTED )?CERTIFICATE-----/.test(pem)
const isKey = (pem: string): boolean => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)

/**
 * Checks, before listening, that `cert` (PEM certificate chain) and `key` (its PEM private key) make
 * a usable TLS identity, as Node's TLS (and so gRPC) would load them. A USAGE error names the file
 * at fault and what to do: swapped files, a file that is not PEM, a key of another certificate.
 * Without this, gRPC refuses them only when binding ("cannot listen on …: no start line").
 */
export function checkTlsPair(
  cert: string | Buffer,
  key: string | Buffer,
  names: TlsPairNames = { cert: CERT_FLAG, key: KEY_FLAG },
): void {
  const certPem = cert.toString()
  const keyPem = key.toString()
  const usage = (message: string, hint: string, cause?: unknown) =>
    new SyncError('USAGE', message, { hint, ...(cause !== undefined ? { cause } : {}) })
  if (!isCert(certPem) && isKey(certPem) && isCert(keyPem)) {
    throw usage(
      `${names.cert} is a private key and ${names.key} a certificate: the two files are swapped`,
      `Pass the certificate to ${CERT_FLAG} and its private key to ${KEY_FLAG}.`,
    )
  }
  if (!isCert(certPem)) {
    throw usage(
      isKey(certPem)
        ? `${names.cert} is a private key, not a certificate`
        : `${names.cert} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`,
      `Give ${CERT_FLAG} the server's certificate (chain) in PEM, and ${KEY_FLAG} its private key.`,
    )
  }
  if (!isKey(keyPem)) {
    throw usage(
      isCert(keyPem)
        ? `${names.key} is a certificate, not a private key`
        : `${names.key} is not a PEM private key (no "-----BEGIN … PRIVATE KEY-----" line)`,
      `Give ${KEY_FLAG} the unencrypted private key of the certificate in ${CERT_FLAG}, in PEM.`,
    )
  }
  if (/ENCRYPTED/.test(keyPem)) {
    throw usage(
      `${names.key} is an encrypted private key`,
      `syncflow serve takes no passphrase: decrypt it first (\`openssl pkey -in KEY -out KEY.plain\`) and keep that file private.`,
    )
  }
  try {
    createSecureContext({ cert, key })
  } catch (err) {
    const reason = (err as Error).message.replace(/^error:[0-9A-F]+:/, '')
    const mismatch = /key values mismatch/i.test(reason)
    // A chain whose server certificate is not first (the intermediate's pasted before it): the key
    // is of a later one, and "not the private key" sent the user looking for another key (QA 30a #7).
    if (mismatch && keyOfALaterCertificate(certPem, keyPem)) {
      throw usage(
        `${names.cert} does not begin with the certificate of ${names.key}: the server's own certificate must come first in the file, then the intermediate CA certificate(s)`,
        `Reorder ${CERT_FLAG}: the server's certificate (the one of its key) first, then the CA certificates that signed it.`,
        err,
      )
    }
    throw usage(
      mismatch
        ? `${names.key} is not the private key of the certificate in ${names.cert}`
        : `${names.cert} and ${names.key} cannot be used for TLS: ${reason}`,
      mismatch
        ? `Give ${KEY_FLAG} the key the certificate was made with (\`openssl x509 -noout -pubkey -in CERT\` and \`openssl pkey -pubout -in KEY\` print the same public key).`
        : `Check both files: ${CERT_FLAG} a PEM certificate (chain), ${KEY_FLAG} its unencrypted PEM private key.`,
      err,
    )
  }
}

/**
 * What is wrong with the dates of the server's certificate (the first of the chain) at `now`:
 * expired or not yet valid, else `undefined`. serve started with such a certificate without a word,
 * and every client then failed "certificate has expired" (QA 30a #5); said, not refused, as nginx
 * or rclone start with it too (a renewal may be under way).
 */
export function certificateDatesProblem(cert: string | Buffer, now = new Date()): string | undefined {
  const first = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(cert.toString())?.[0]
  if (first === undefined) return undefined
  let x509: X509Certificate
  try {
    x509 = new X509Certificate(first)
  } catch {
    return undefined
  }
  const to = new Date(x509.validTo)
  const from = new Date(x509.validFrom)
  if (to.getTime() < now.getTime()) return `expired on ${to.toISOString()}`
  if (from.getTime() > now.getTime()) return `is not valid before ${from.toISOString()}`
  return undefined
}

/** Whether `keyPem` is the key of a certificate of `certPem` other than the first. */
function keyOfALaterCertificate(certPem: string, keyPem: string): boolean {
  const all = certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
  try {
    const key = createPrivateKey(keyPem)
    return all.slice(1).some((pem) => {
      try {
        return new X509Certificate(pem).checkPrivateKey(key)
      } catch {
        return false
      }
    })
  } catch {
    return false
  }
}
