import type { ClusterView } from './cluster.js';
import type { AuditList, AuditVerdict } from './audit.js';
import type { BandList, JoinTokenRotated, NodeDetail, NodeList } from './fleet.js';
import type { DryRunResult } from './placement.js';
import type {
  TenantCreateBody,
  TenantCreated,
  TenantList,
  TenantSelf,
  TenantUpdateBody,
  Tenant,
  TokenRotated,
} from './tenants.js';
import type { CoordinatorEvent } from '../shared/events.js';
import type { DrainResult, ResizeBody } from './lifecycle.js';
import { readSse } from './sse.js';
import type { CapacityAnswer } from './capacity.js';
import type { DeadLetter, WebhookCreateBody, WebhookCreated, WebhookView } from './webhooks.js';
import { Transport, type TransportOptions } from './transport.js';
import { VM_PAGE_MAX } from './paging.js';
import type { ConsoleLog, CreateVmBody, ImageRow, VmList, VmListQuery, VmPageQuery, VmView } from './vms.js';

/** CreateVmOptions are the non-body parts of POST /v1/vms. */
export interface CreateVmOptions {
  /** wait false answers 202 once the claim is durable instead of waiting for running */
  wait?: boolean;
  idempotencyKey?: string | undefined;
}

/** EventsQueryInput is what a client may ask of GET /v1/events. */
export interface EventsQueryInput {
  since?: number | undefined;
  kind?: string | undefined;
  node?: string | undefined;
  vm?: string | undefined;
  follow?: boolean | undefined;
}

/** StreamItem is one event off the stream, or a note that events after `since` were dropped. */
export type StreamItem = { event: CoordinatorEvent } | { gap: { since: number; oldest: number } };

/** VmpoolClient is the typed client of the coordinator's /v1 API: one method per route. */
export class VmpoolClient {
  private readonly t: Transport;

  constructor(o: TransportOptions) {
    this.t = new Transport(o);
  }

  /** base is the coordinator URL the client talks to. */
  get base(): string {
    return this.t.base;
  }

  /** createVm is POST /v1/vms. */
  async createVm(body: CreateVmBody, o: CreateVmOptions = {}): Promise<VmView> {
    return (await this.t.request('POST', '/v1/vms', {
      body,
      query: { wait: o.wait === false ? 'false' : undefined },
      ...(o.idempotencyKey ? { headers: { 'idempotency-key': o.idempotencyKey } } : {}),
    })) as VmView;
  }

  /** dryRun is POST /v1/placements/dry-run. */
  async dryRun(body: CreateVmBody): Promise<DryRunResult> {
    return (await this.t.request('POST', '/v1/placements/dry-run', { body })) as DryRunResult;
  }

  /**
   * listVms is every VM GET /v1/vms shows the caller (all of them for the admin), following
   * `next_cursor` page by page; `max` stops after that many VMs (next_cursor then says where).
   */
  async listVms(filter: VmListQuery = {}, o: { max?: number; pageSize?: number } = {}): Promise<VmList> {
    const vms: VmView[] = [];
    const max = o.max ?? Number.POSITIVE_INFINITY;
    let cursor: string | null | undefined;
    if (max <= 0) return { vms, next_cursor: null };
    do {
      // no `limit` unless asked: the coordinator's default page, and the plain /v1/vms URL as before
      const want = Math.min(o.pageSize ?? Number.POSITIVE_INFINITY, max - vms.length);
      const limit = Number.isFinite(want) ? Math.min(want, VM_PAGE_MAX) : undefined;
      const page = await this.listVmsPage({ ...filter, limit, cursor: cursor ?? undefined });
      vms.push(...page.vms);
      cursor = page.next_cursor;
    } while (cursor && vms.length < max);
    return { vms, next_cursor: cursor ?? null };
  }

  /** listVmsPage is one page of GET /v1/vms (`limit` defaults to 500 on the coordinator). */
  async listVmsPage(q: VmPageQuery = {}): Promise<VmList> {
    const { limit, ...rest } = q;
    return (await this.t.request('GET', '/v1/vms', {
      query: { ...rest, limit: limit === undefined ? undefined : String(limit) },
    })) as VmList;
  }

  /** getVm is GET /v1/vms/{id}. */
  async getVm(id: string): Promise<VmView> {
    return (await this.t.request('GET', `/v1/vms/${encodeURIComponent(id)}`)) as VmView;
  }

  /** destroyVm is DELETE /v1/vms/{id}; keepDisk leaves the disk images on the node. */
  async destroyVm(id: string, o: { keepDisk?: boolean } = {}): Promise<void> {
    await this.t.request('DELETE', `/v1/vms/${encodeURIComponent(id)}`, {
      query: { keep_disk: o.keepDisk ? 'true' : undefined },
    });
  }

  /** events is GET /v1/events: parsed events as they arrive (a `gap` message is yielded as its own kind). */
  async *events(q: EventsQueryInput = {}, signal?: AbortSignal): AsyncGenerator<StreamItem> {
    const query: Record<string, string | undefined> = {
      since: q.since?.toString(),
      kind: q.kind,
      node: q.node,
      vm: q.vm,
      follow: q.follow === false ? 'false' : undefined,
    };
    const body = await this.t.stream('/v1/events', { query, ...(signal ? { signal } : {}) });
    for await (const m of readSse(body)) {
      if (m.event === 'gap') yield { gap: JSON.parse(m.data) as { since: number; oldest: number } };
      else yield { event: JSON.parse(m.data) as CoordinatorEvent };
    }
  }

  /** createWebhook is POST /v1/webhooks (admin); the answer holds the signing secret, shown this once. */
  async createWebhook(body: WebhookCreateBody): Promise<WebhookCreated> {
    return (await this.t.request('POST', '/v1/webhooks', { body })) as WebhookCreated;
  }

  /** listWebhooks is GET /v1/webhooks (admin). */
  async listWebhooks(): Promise<{ webhooks: WebhookView[] }> {
    return (await this.t.request('GET', '/v1/webhooks')) as { webhooks: WebhookView[] };
  }

  /** deleteWebhook is DELETE /v1/webhooks/{id} (admin). */
  async deleteWebhook(id: string): Promise<void> {
    await this.t.request('DELETE', `/v1/webhooks/${encodeURIComponent(id)}`);
  }

  /** deadLetters is GET /v1/webhooks/dead-letters (admin). */
  async deadLetters(): Promise<{ dead_letters: DeadLetter[] }> {
    return (await this.t.request('GET', '/v1/webhooks/dead-letters')) as { dead_letters: DeadLetter[] };
  }

  /** powerVm is POST /v1/vms/{id}/stop|start|reboot; timeoutS is how long the guest gets to shut down. */
  async powerVm(id: string, op: 'stop' | 'start' | 'reboot', timeoutS?: number): Promise<VmView> {
    return (await this.t.request('POST', `/v1/vms/${encodeURIComponent(id)}/${op}`, {
      query: { timeout_s: timeoutS?.toString() },
    })) as VmView;
  }

  /** resizeVm is POST /v1/vms/{id}/resize: new vCPUs, memory (MiB) or root disk size (GiB) of a stopped VM. */
  async resizeVm(id: string, body: ResizeBody): Promise<VmView> {
    return (await this.t.request('POST', `/v1/vms/${encodeURIComponent(id)}/resize`, { body })) as VmView;
  }

  /** cordon is POST (or, with cordoned false, DELETE) /v1/nodes/{id}/cordon (admin). */
  async cordon(id: string, cordoned: boolean, reason?: string): Promise<Record<string, unknown>> {
    const path = `/v1/nodes/${encodeURIComponent(id)}/cordon`;
    return (await this.t.request(cordoned ? 'POST' : 'DELETE', path, {
      ...(cordoned ? { body: reason ? { reason } : {} } : {}),
    })) as Record<string, unknown>;
  }

  /** drain is POST /v1/nodes/{id}/drain (admin); dryRun answers the plan and changes nothing. */
  async drain(id: string, o: { dryRun?: boolean; timeoutS?: number | undefined } = {}): Promise<DrainResult> {
    return (await this.t.request('POST', `/v1/nodes/${encodeURIComponent(id)}/drain`, {
      query: { dry_run: o.dryRun ? 'true' : undefined, timeout_s: o.timeoutS?.toString() },
    })) as DrainResult;
  }

  /** forgetNodeVms is POST /v1/nodes/{id}/forget-vms (admin): drop the VMs of a node that is down for good. */
  async forgetNodeVms(id: string): Promise<{ node_id: string; forgotten: string[] }> {
    return (await this.t.request('POST', `/v1/nodes/${encodeURIComponent(id)}/forget-vms`)) as {
      node_id: string;
      forgotten: string[];
    };
  }

  /** listImages is GET /v1/images: base images the live nodes hold (node ids for the admin). */
  async listImages(): Promise<{ images: ImageRow[] }> {
    return (await this.t.request('GET', '/v1/images')) as { images: ImageRow[] };
  }

  /** capacity is GET /v1/capacity (admin): how many more VMs of a shape fit now. */
  async capacity(q: {
    vcpu_count: number;
    memory_mb: number;
    cpu_policy?: string | undefined;
  }): Promise<CapacityAnswer> {
    return (await this.t.request('GET', '/v1/capacity', {
      query: { vcpu_count: String(q.vcpu_count), memory_mb: String(q.memory_mb), cpu_policy: q.cpu_policy },
    })) as CapacityAnswer;
  }

  /** consoleLog is GET /v1/vms/{id}/console-log: the last `bytes` of the VM's serial console. */
  async consoleLog(id: string, o: { bytes?: number | undefined } = {}): Promise<ConsoleLog> {
    return (await this.t.request('GET', `/v1/vms/${encodeURIComponent(id)}/console-log`, {
      query: { bytes: o.bytes?.toString() },
    })) as ConsoleLog;
  }

  /** listNodes is GET /v1/nodes (admin). */
  async listNodes(): Promise<NodeList> {
    return (await this.t.request('GET', '/v1/nodes')) as NodeList;
  }

  /** getNode is GET /v1/nodes/{id} (admin). */
  async getNode(id: string): Promise<NodeDetail> {
    return (await this.t.request('GET', `/v1/nodes/${encodeURIComponent(id)}`)) as NodeDetail;
  }

  /** listBands is GET /v1/vmid-bands (admin). */
  async listBands(): Promise<BandList> {
    return (await this.t.request('GET', '/v1/vmid-bands')) as BandList;
  }

  /** createTenant is POST /v1/tenants (admin); the answer holds the token, shown this once. */
  async createTenant(body: TenantCreateBody): Promise<TenantCreated> {
    return (await this.t.request('POST', '/v1/tenants', { body })) as TenantCreated;
  }

  /** listTenants is GET /v1/tenants (admin). */
  async listTenants(): Promise<TenantList> {
    return (await this.t.request('GET', '/v1/tenants')) as TenantList;
  }

  /** getTenant is GET /v1/tenants/{id} (admin): the tenant with its quota and usage. */
  async getTenant(id: string): Promise<TenantSelf> {
    return (await this.t.request('GET', `/v1/tenants/${encodeURIComponent(id)}`)) as TenantSelf;
  }

  /** updateTenant is PATCH /v1/tenants/{id} (admin): a new name, a new (whole) quota, or both. */
  async updateTenant(id: string, body: TenantUpdateBody): Promise<Tenant> {
    return (await this.t.request('PATCH', `/v1/tenants/${encodeURIComponent(id)}`, { body })) as Tenant;
  }

  /** deleteTenant is DELETE /v1/tenants/{id} (admin); refused while the tenant owns VMs. */
  async deleteTenant(id: string): Promise<void> {
    await this.t.request('DELETE', `/v1/tenants/${encodeURIComponent(id)}`);
  }

  /** rotateTenantToken is POST /v1/tenants/{id}/token (admin); the new token is shown this once. */
  async rotateTenantToken(id: string, o: { graceSeconds?: number | undefined } = {}): Promise<TokenRotated> {
    const body = o.graceSeconds === undefined ? {} : { grace_seconds: o.graceSeconds };
    return (await this.t.request('POST', `/v1/tenants/${encodeURIComponent(id)}/token`, {
      body,
    })) as TokenRotated;
  }

  /** revokeTenantToken is DELETE /v1/tenants/{id}/token (admin): the token and any grace token stop at once. */
  async revokeTenantToken(id: string): Promise<void> {
    await this.t.request('DELETE', `/v1/tenants/${encodeURIComponent(id)}/token`);
  }

  /** removeNode is DELETE /v1/nodes/{id} (admin); purge also forgets the node's VM records. */
  async removeNode(id: string, o: { purge?: boolean } = {}): Promise<void> {
    await this.t.request('DELETE', `/v1/nodes/${encodeURIComponent(id)}`, {
      query: { purge: o.purge ? 'true' : undefined },
    });
  }

  /** rotateJoinToken is POST /v1/join-token (admin); the new join token is shown this once. */
  async rotateJoinToken(o: { graceSeconds?: number | undefined } = {}): Promise<JoinTokenRotated> {
    const body = o.graceSeconds === undefined ? {} : { grace_seconds: o.graceSeconds };
    return (await this.t.request('POST', '/v1/join-token', { body })) as JoinTokenRotated;
  }

  /** listAudit is GET /v1/audit (admin). */
  async listAudit(q: { limit?: number | undefined } = {}): Promise<AuditList> {
    return (await this.t.request('GET', '/v1/audit', { query: { limit: q.limit?.toString() } })) as AuditList;
  }

  /** getCluster is GET /v1/cluster (admin): leader, term, this coordinator's role, etcd health. */
  async getCluster(): Promise<ClusterView> {
    return (await this.t.request('GET', '/v1/cluster')) as ClusterView;
  }

  /** verifyAudit is GET /v1/audit/verify (admin). */
  async verifyAudit(): Promise<AuditVerdict> {
    return (await this.t.request('GET', '/v1/audit/verify')) as AuditVerdict;
  }
}
