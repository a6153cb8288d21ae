import { VmpoolClient } from '../../api/client.js';
import { ApiError } from '../../api/errors.js';
import type { VmView } from '../../api/vms.js';

/**
 * Session is a signed-in page: the typed client with the token (held in memory only, never in
 * storage or a cookie) and whether it is the admin. Reloading the page signs out.
 */
export interface Session {
  client: VmpoolClient;
  token: string;
  admin: boolean;
}

/** login checks a token against the coordinator of this page's origin and learns its role. */
export async function login(token: string, origin = location.origin): Promise<Session> {
  const client = new VmpoolClient({ url: origin, token });
  await client.listVms(); // 401 unauthorized for an unknown token
  let admin = true;
  try {
    await client.listNodes();
  } catch (err) {
    // the fleet routes answer 404 to a tenant token: the tenant sees its own VMs only
    if (err instanceof ApiError && err.status === 404) admin = false;
    else throw err;
  }
  return { client, token, admin };
}

/** PowerOp is a day-2 operation on a VM. */
export type PowerOp = 'stop' | 'start' | 'reboot';

/**
 * power is POST /v1/vms/{id}/{stop|start|reboot} (the typed client has no method for it yet): the VM
 * as it is afterwards, or an ApiError with the problem's code.
 */
export async function power(s: Session, id: string, op: PowerOp, origin = location.origin): Promise<VmView> {
  const res = await fetch(`${origin}/v1/vms/${encodeURIComponent(id)}/${op}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.token}`, accept: 'application/json' },
  });
  const text = await res.text();
  if (!res.ok) {
    const body = parse(text);
    const code = typeof body.code === 'string' ? body.code : `http_${res.status}`;
    const detail = typeof body.detail === 'string' ? body.detail : `HTTP ${res.status}`;
    throw new ApiError(code, detail, res.status, body);
  }
  return JSON.parse(text) as VmView;
}

function parse(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** errorText is what the page shows for a failed call: the problem's code and detail. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
