/** domainName is the libvirt name of a tenant's VM: tenant ids hold no dash, so names never collide. */
export function domainName(tenant: string, name: string): string {
  return `${tenant}-${name}`;
}
