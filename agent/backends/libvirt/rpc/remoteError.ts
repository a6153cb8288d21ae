import { LibvirtCallFailure } from '../binding/failure.js';
import type { XdrReader } from './xdr.js';
import { readDomain } from './types.js';

/**
 * readRemoteError reads libvirtd's remote_error (the same fields and numbers as virError) into the
 * failure the koffi binding builds from virError, so errors.ts maps both alike.
 */
export function readRemoteError(r: XdrReader, symbol: string): LibvirtCallFailure {
  const code = r.int();
  const domain = r.int();
  const message = r.optString();
  r.int(); // level
  if (r.bool()) readDomain(r); // dom (unused by libvirt)
  r.optString(); // str1
  r.optString(); // str2
  r.optString(); // str3
  r.int(); // int1
  r.int(); // int2
  if (r.bool()) {
    r.string(); // net: name
    r.fixed(16); // net: uuid
  }
  return new LibvirtCallFailure(symbol, code, domain, message ?? `${symbol} failed`);
}
