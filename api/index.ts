/** The coordinator's HTTP contract: request schemas, response types, problem codes and the client. */
export * from './audit.js';
export * from './cluster.js';
export { VmpoolClient, type CreateVmOptions } from './client.js';
export { ApiError, ClientError, type ClientErrorCode } from './errors.js';
export * from './fleet.js';
export * from './placement.js';
export * from './problems.js';
export * from './query.js';
export * from './tenants.js';
export { type FetchFn, type RequestOptions, Transport, type TransportOptions } from './transport.js';
export * from './vms.js';
