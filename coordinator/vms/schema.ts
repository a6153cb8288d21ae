// The create body is part of the HTTP contract, so it lives in api/; the service reads it from here.
export { type CreateVmRequest, CreateVmSchema, PlacementOptionsSchema } from '../../api/vms.js';
