import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { type EventsQuery, EventsQuerySchema } from '../../api/events.js';
import type { CoordinatorEvent } from '../../shared/events.js';
import type { EventRing } from '../events/ring.js';
import type { Principal } from '../tenants/index.js';
import { queryOf } from './validate.js';

/** KEEPALIVE_MS is how often an idle stream sends a comment, so proxies keep it open. */
const KEEPALIVE_MS = 15_000;

/** EventRouteDeps is what the event stream reads: the ring of recent events. */
export interface EventRouteDeps {
  events: EventRing;
}

type Env = { Variables: { principal: Principal; requestId: string } };

/**
 * registerEventRoutes adds GET /v1/events: server-sent events, `id:` the event's seq and `data:` the
 * shared/events.ts JSON. A tenant sees only its own VMs' events; the admin sees all, narrowed by
 * kind, node and VM. Resume with Last-Event-ID or ?since=; events that fell out of the ring are
 * announced as one `event: gap` message before the rest.
 */
export function registerEventRoutes(app: Hono<Env>, d: EventRouteDeps): void {
  app.get('/v1/events', queryOf(EventsQuerySchema), (c) => {
    const q = c.req.valid('query');
    const lastId = Number(c.req.header('last-event-id'));
    // no resume point: only what happens from now on
    const since =
      c.req.header('last-event-id') !== undefined && Number.isSafeInteger(lastId) && lastId >= 0
        ? lastId
        : (q.since ?? Number.MAX_SAFE_INTEGER);
    const keep = eventFilter(c.get('principal'), q);
    return streamSSE(c, async (stream) => {
      const queue: CoordinatorEvent[] = [];
      let wake: (() => void) | undefined;
      // the backlog is read and the listener attached with no await between: nothing slips through
      const backlog = d.events.after(since);
      const stop = d.events.listen((e) => {
        queue.push(e);
        wake?.();
      });
      stream.onAbort(() => {
        stop();
        wake?.();
      });
      try {
        if (backlog.gap)
          await stream.writeSSE({ event: 'gap', data: JSON.stringify({ since, oldest: backlog.oldest }) });
        for (const e of backlog.events) if (keep(e)) await write(stream, e);
        if (!q.follow) return;
        while (!stream.aborted) {
          while (queue.length) {
            const e = queue.shift()!;
            if (keep(e)) await write(stream, e);
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, KEEPALIVE_MS).unref?.();
          });
          wake = undefined;
          if (!queue.length && !stream.aborted) await stream.write(': keepalive\n\n');
        }
      } finally {
        stop();
      }
    });
  });
}

function write(
  stream: { writeSSE(m: { id: string; event: string; data: string }): Promise<void> },
  e: CoordinatorEvent,
) {
  return stream.writeSSE({ id: String(e.seq), event: e.type, data: JSON.stringify(e) });
}

/** eventFilter decides which events one reader sees: tenants only their own VMs', then the query's filters. */
export function eventFilter(p: Principal, q: Pick<EventsQuery, 'kind' | 'node' | 'vm'>) {
  const kinds = q.kind?.split(',').filter(Boolean) ?? [];
  return (e: CoordinatorEvent): boolean => {
    if (p.kind === 'tenant' && !('tenant_id' in e && e.tenant_id === p.tenant.id)) return false;
    if (kinds.length && !kinds.some((k) => (k.endsWith('.') ? e.type.startsWith(k) : e.type === k)))
      return false;
    if (q.node !== undefined && e.node_id !== q.node) return false;
    if (q.vm !== undefined && !('vm_id' in e && e.vm_id === q.vm)) return false;
    return true;
  };
}
