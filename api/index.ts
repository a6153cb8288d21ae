/** The coordinator's HTTP contract: request schemas, response types, problem codes and the client. */
export * from './audit.js';
export { VmpoolClient, type CreateVmOptions, type EventsQueryInput, type StreamItem } from './client.js';
export * from './sse.js';
export { ApiError, ClientError, type ClientErrorCode } from './errors.js';
export * from './fleet.js';
export * from './kept-disks.js';
export * from './placement.js';
export * from './problems.js';
export * from './query.js';
export * from './tenants.js';
export { type FetchFn, type RequestOptions, Transport, type TransportOptions } from './transport.js';
export * from './vms.js';
export * from './broker.js';
export { type BillingQuery, BrokerClient } from './broker-client.js';
export * from './events.js';
export * from './webhooks.js';
export * from './lifecycle.js';
export * from './capacity.js';
