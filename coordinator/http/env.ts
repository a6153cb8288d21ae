import type { Principal } from '../tenants/index.js';

/** Env is the app's per-request context: the authenticated principal and the request id. */
export type Env = {
  Variables: {
    principal: Principal;
    requestId: string;
    /** errorCode and errorDetail are set by problem() so the request's one rejection entry names them */
    errorCode?: string;
    errorDetail?: string;
  };
};

/** AdminGuard is middleware that hides a route from anyone but the admin (404). */
export type AdminGuard = (
  c: { get: (k: 'principal') => Principal },
  next: () => Promise<void>,
) => Promise<void>;
