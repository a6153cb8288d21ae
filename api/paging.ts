// Page sizes of GET /v1/vms, in a module without zod so the fleet page's bundle can import them.

/** VM_PAGE_DEFAULT is GET /v1/vms's page size when `?limit=` is absent. */
export const VM_PAGE_DEFAULT = 500;

/** VM_PAGE_MAX is the largest `?limit=` GET /v1/vms accepts. */
export const VM_PAGE_MAX = 5000;
