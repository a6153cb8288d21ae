import type { Hono } from 'hono';
import type { NodeRegistry } from '../registry/registry.js';
import type { Principal } from '../tenants/index.js';

/** ImageRow is one base image: its name and, for the admin, the live nodes holding it. */
export interface ImageRow {
  name: string;
  nodes: number;
  node_ids?: string[];
}

type Env = { Variables: { principal: Principal; requestId: string } };

/**
 * registerImageRoutes adds GET /v1/images: every base image some node reports (hello, then
 * heartbeats when the list changes), with how many nodes hold it; the admin also sees which.
 */
export function registerImageRoutes(app: Hono<Env>, d: { registry: NodeRegistry }): void {
  app.get('/v1/images', (c) => {
    const admin = c.get('principal').kind === 'admin';
    const by = new Map<string, string[]>();
    for (const n of d.registry.list()) {
      if (n.state !== 'ready') continue;
      for (const img of n.hello.images) by.set(img, [...(by.get(img) ?? []), n.id]);
    }
    const images: ImageRow[] = [...by.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, ids]) => ({ name, nodes: ids.length, ...(admin ? { node_ids: ids.sort() } : {}) }));
    return c.json({ images });
  });
}
