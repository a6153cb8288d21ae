import type { Hono } from 'hono';
import type { ImageRow } from '../../api/vms.js';
import type { ImageInfo } from '../../shared/protocol.js';
import type { NodeRegistry } from '../registry/registry.js';
import type { Principal } from '../tenants/index.js';

export type { ImageRow };

type Env = { Variables: { principal: Principal; requestId: string } };

/**
 * registerImageRoutes adds GET /v1/images: every base image some node reports (hello, then
 * heartbeats when the list changes), with how many nodes hold it; the admin also sees which.
 */
export function registerImageRoutes(app: Hono<Env>, d: { registry: NodeRegistry }): void {
  app.get('/v1/images', (c) => {
    const admin = c.get('principal').kind === 'admin';
    const by = new Map<string, string[]>();
    const infos = new Map<string, ImageInfo[]>();
    for (const n of d.registry.list()) {
      if (n.state !== 'ready') continue;
      for (const img of n.hello.images) {
        by.set(img, [...(by.get(img) ?? []), n.id]);
        const info = n.hello.image_info?.[img];
        if (info) infos.set(img, [...(infos.get(img) ?? []), info]);
      }
    }
    const images: ImageRow[] = [...by.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, ids]) => ({
        name,
        nodes: ids.length,
        ...facts(infos.get(name) ?? []),
        ...(admin ? { node_ids: ids.sort() } : {}),
      }));
    return c.json({ images });
  });
}

/** facts merges what nodes report for one image: the first known values and whether the checksums agree. */
function facts(infos: readonly ImageInfo[]) {
  const sums = new Set(infos.flatMap((i) => (i.sha256 ? [i.sha256] : [])));
  const first = infos[0];
  return {
    virtual_size: first?.virtual_size ?? null,
    format: first?.format ?? null,
    sha256: sums.size === 1 ? [...sums][0]! : null,
    checksums_agree: sums.size <= 1,
  };
}
