import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CoordinatorEvent } from '../../shared/events.js';

/** SIGNATURE_HEADER carries `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` on every delivery. */
export const SIGNATURE_HEADER = 'x-vmpool-signature';

/**
 * cloudEvent wraps a bus event as a CloudEvents 1.0 structured-mode JSON object: `type` is
 * `io.vmpool.<event type>`, `id` is the coordinator's event seq, `data` the shared/events.ts event.
 */
export function cloudEvent(e: CoordinatorEvent, source: string) {
  return {
    specversion: '1.0',
    id: String(e.seq),
    source,
    type: `io.vmpool.${e.type}`,
    time: e.ts,
    datacontenttype: 'application/json',
    subject: subjectOf(e),
    data: e,
  };
}

/**
 * alertmanagerMessage is the Alertmanager webhook receiver format (version 4) with one firing
 * alert per event, so tools that read Alertmanager notifications read vmpool's too.
 */
export function alertmanagerMessage(e: CoordinatorEvent, source: string) {
  const labels: Record<string, string> = {
    alertname: `vmpool_${e.type.replace('.', '_')}`,
    severity: 'warning',
  };
  if (e.node_id) labels.node = e.node_id;
  if ('vm_id' in e) Object.assign(labels, { vm_id: e.vm_id, vm_name: e.name, tenant: e.tenant_id });
  else if ('tenant_id' in e) labels.tenant = e.tenant_id;
  const alert = {
    status: 'firing',
    labels,
    annotations: { summary: `${e.type} (event ${e.seq})`, event: JSON.stringify(e) },
    startsAt: e.ts,
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: source,
    fingerprint: `vmpool-${e.seq}`,
  };
  return {
    version: '4',
    groupKey: `vmpool:${e.type}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'vmpool',
    groupLabels: { alertname: labels.alertname },
    commonLabels: labels,
    commonAnnotations: alert.annotations,
    externalURL: source,
    alerts: [alert],
  };
}

/** sign computes the signature header value of a body sent at unix time `t`. */
export function sign(secret: string, body: string, t: number): string {
  const mac = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${mac}`;
}

/**
 * verifySignature is what a receiver runs: it recomputes the HMAC over `t.body` and compares in
 * constant time, refusing a timestamp further than `toleranceS` from `nowS` (replays).
 */
export function verifySignature(
  secret: string,
  body: string,
  header: string | null | undefined,
  nowS: number,
  toleranceS = 300,
): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowS - t) > toleranceS) return false;
  const want = Buffer.from(sign(secret, body, t).slice(-64), 'hex');
  return timingSafeEqual(want, Buffer.from(m[2]!, 'hex'));
}

/** subjectOf names what an event is about: a VM, a node, a tenant (quota) or the audit log. */
function subjectOf(e: CoordinatorEvent): string {
  if ('vm_id' in e) return `vms/${e.vm_id}`;
  if (e.node_id) return `nodes/${e.node_id}`;
  return 'tenant_id' in e ? `tenants/${e.tenant_id}` : 'audit';
}
