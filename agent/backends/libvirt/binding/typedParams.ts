import koffi from 'koffi';
import { VIR_TYPED_PARAM } from './constants.js';
import type { LibvirtSymbols, Ptr } from './symbols.js';

/** TypedParamValue is a virTypedParameter value normalised for JS (64-bit integers become numbers). */
export type TypedParamValue = number | string | boolean;

interface TypedParamHead {
  readonly field: string;
  readonly type: number;
}

/** decodeTypedParams reads nparams virTypedParameter structs at ptr; it frees nothing. */
export function decodeTypedParams(
  sym: LibvirtSymbols,
  ptr: Ptr,
  nparams: number,
): [string, TypedParamValue][] {
  const type = sym.types.virTypedParameter;
  const valueOffset = koffi.offsetof(type, 'value');
  const out: [string, TypedParamValue][] = [];
  for (let i = 0; i < nparams; i++) {
    const base = i * type.size;
    const head = koffi.decode(ptr, base, type) as TypedParamHead;
    out.push([head.field, decodeValue(ptr, base + valueOffset, head.type)]);
  }
  return out;
}

function decodeValue(ptr: Ptr, offset: number, type: number): TypedParamValue {
  switch (type) {
    case VIR_TYPED_PARAM.INT:
      return koffi.decode(ptr, offset, 'int') as number;
    case VIR_TYPED_PARAM.UINT:
      return koffi.decode(ptr, offset, 'unsigned int') as number;
    case VIR_TYPED_PARAM.LLONG:
      return Number(koffi.decode(ptr, offset, 'int64_t'));
    case VIR_TYPED_PARAM.ULLONG:
      return Number(koffi.decode(ptr, offset, 'uint64_t'));
    case VIR_TYPED_PARAM.DOUBLE:
      return koffi.decode(ptr, offset, 'double') as number;
    case VIR_TYPED_PARAM.BOOLEAN:
      return (koffi.decode(ptr, offset, 'char') as number) !== 0;
    case VIR_TYPED_PARAM.STRING:
      return (koffi.decode(ptr, offset, 'const char *') as string | null) ?? '';
    default:
      return `unsupported typed parameter type ${type}`;
  }
}

/**
 * withTypedParamArray allocates nparams zeroed virTypedParameter slots, awaits fn, then clears and
 * frees them: the array outlives every call fn makes with it.
 */
export async function withTypedParamArray<T>(
  sym: LibvirtSymbols,
  nparams: number,
  fn: (params: Ptr) => Promise<T>,
): Promise<T> {
  const type = sym.types.virTypedParameter;
  const params = koffi.alloc(type, nparams) as Ptr;
  try {
    koffi.encode(params, koffi.array('uint8_t', type.size * nparams), new Uint8Array(type.size * nparams));
    return await fn(params);
  } finally {
    sym.virTypedParamsClear(params, nparams); // frees the strings libvirt put in the slots
    koffi.free(params);
  }
}
