/**
 * The `postgres://` URL given to pg for `location`: `sslmode=prefer`, `require` and `verify-ca`
 * written as `verify-full`, which is what pg 8 makes of them (pg-connection-string 2: the server's
 * certificate and host name are checked, and no connection goes without TLS), so it connects
 * exactly as it did, without the 10-line "SECURITY WARNING" it printed on every run to say so.
 * Nothing is checked less than before: the weaker meaning those modes have in libpq (and will have
 * in pg 9) is what `uselibpqcompat=true` asks for, and a URL that says so is given as it is, as is
 * any other (`verify-full`, `no-verify`, `disable`, `ssl=true`, none).
 */
export function pgSslModeSaid(location: string): string {
  if (/[?&]uselibpqcompat=/i.test(location)) return location
  return location.replace(/([?&]sslmode=)(prefer|require|verify-ca)(?=[&#]|$)/g, '$1verify-full')
}
