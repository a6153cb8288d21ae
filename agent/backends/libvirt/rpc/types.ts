import { VIR_TYPED_PARAM } from '../binding/constants.js';
import { XdrError, type XdrReader, type XdrWriter } from './xdr.js';

// Wire structs shared by many calls: remote_nonnull_domain and remote_typed_param.

/** RemoteDomain is remote_nonnull_domain: what libvirtd hands back for a domain (id -1 when inactive). */
export interface RemoteDomain {
  readonly name: string;
  readonly uuid: Buffer;
  readonly id: number;
}

const UUID_BYTES = 16;

/** readDomain reads a remote_nonnull_domain. */
export function readDomain(r: XdrReader): RemoteDomain {
  return { name: r.string(), uuid: Buffer.from(r.fixed(UUID_BYTES)), id: r.int() };
}

/** writeDomain writes a remote_nonnull_domain. */
export function writeDomain(w: XdrWriter, d: RemoteDomain): XdrWriter {
  return w.string(d.name).fixed(d.uuid).int(d.id);
}

/** uuidString formats 16 UUID bytes as libvirt's virUUIDFormat does (lowercase 8-4-4-4-12). */
export function uuidString(uuid: Buffer): string {
  const hex = uuid.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** TypedParam is one remote_typed_param, its value normalised as the koffi binding does. */
export type TypedParam = [string, number | string | boolean];

/** readTypedParam reads one remote_typed_param (a field name and a union on the value type). */
export function readTypedParam(r: XdrReader): TypedParam {
  const field = r.string();
  const type = r.int();
  switch (type) {
    case VIR_TYPED_PARAM.INT:
      return [field, r.int()];
    case VIR_TYPED_PARAM.UINT:
      return [field, r.uint()];
    case VIR_TYPED_PARAM.LLONG:
      return [field, r.hyper()];
    case VIR_TYPED_PARAM.ULLONG:
      return [field, r.uhyper()];
    case VIR_TYPED_PARAM.DOUBLE:
      return [field, r.double()];
    case VIR_TYPED_PARAM.BOOLEAN:
      return [field, r.int() !== 0];
    case VIR_TYPED_PARAM.STRING:
      return [field, r.string()];
    default:
      // the union has no arm for it, so the rest of the message cannot be read
      throw new XdrError(`unknown typed parameter type ${type} for ${JSON.stringify(field)}`);
  }
}

/** TYPED_PARAM_MIN_BYTES is the smallest encoded remote_typed_param (empty name, type, 4-byte value). */
export const TYPED_PARAM_MIN_BYTES = 12;
/** DOMAIN_MIN_BYTES is the smallest encoded remote_nonnull_domain. */
export const DOMAIN_MIN_BYTES = 4 + UUID_BYTES + 4;
