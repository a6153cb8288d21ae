export { type AuthenticateOptions, type Principal, authenticate, bearerFromHeader } from './authenticate.js';
export { TenantGate } from './gate.js';
export { QuotaError, type QuotaRequest, type QuotaResource, checkQuota, vmUsage } from './quota.js';
export { TOKEN_PREFIX, generateToken, hashMatcher, hashToken, hashesEqual, verifyToken } from './tokens.js';
export { TOKEN_CACHE_MAX, TokenAuthenticator } from './token-cache.js';
