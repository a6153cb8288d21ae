import { VmpoolClient } from '../../api/client.js';
import { ApiError } from '../../api/errors.js';

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

/** errorText is what the page shows for a failed call: the problem's code and detail. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
