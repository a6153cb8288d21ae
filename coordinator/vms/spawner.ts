import type { CoordinatorMessage } from '../../shared/protocol.js';
import { isVmpoolError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { ClaimBook } from '../claims/claim-book.js';
import type { AgentAnswer, AgentLinkServer } from '../link/server.js';
import { newRequestId } from '../link/server.js';
import type { Placer } from '../placer/placer.js';
import type { VmRecord } from '../store/index.js';
import { NoCapacityError, VmError } from './errors.js';
import { largestNuma, tenantReason } from './redact.js';
import type { CreateVmRequest } from './schema.js';
import { buildSpawnMessage } from './spawn-message.js';
import { domainName } from './spec-builder.js';

/** ResizeOrder is what the coordinator decides for a resize: new sizes and the pins placement chose. */
export type ResizeOrder = Omit<
  Extract<CoordinatorMessage, { type: 'resize' }>,
  'type' | 'request_id' | 'trace_id'
>;

/** STALE_CLAIM_CODES are agent refusals that mean our view of the node was stale: try another node. */
const STALE_CLAIM_CODES = new Set([
  'pin_in_use',
  'insufficient_memory',
  'pin_host_reserved',
  'pin_not_online',
  'name_in_use',
]);
/** UNKNOWN_OUTCOME_CODES: the spawn reached the agent but no answer came back; the agent's next report decides. */
const UNKNOWN_OUTCOME_CODES = new Set(['agent_disconnected', 'agent_timeout']);

/** SpawnerOptions: the claim book that records every outcome, the placer for retries, the link to nodes. */
export interface SpawnerOptions {
  claims: ClaimBook;
  placer: Placer;
  link: AgentLinkServer;
  log: Logger;
  spawnTimeoutMs?: number;
  maxAttempts?: number;
}

type Attempt = { kind: 'running'; vm: VmRecord } | { kind: 'retry'; reason: string };

/**
 * Spawner drives one claimed VM to running: it asks the node, re-places a stale claim elsewhere
 * (bounded attempts), releases everything when the spawn failed for good, and leaves the claim in
 * place when the outcome is unknown (sent, then the socket dropped or timed out). It also carries
 * destroys to nodes. Every record change goes through the claim book.
 */
export class Spawner {
  constructor(private readonly o: SpawnerOptions) {}

  /** run spawns until running, failed (released) or unknown (claim kept); rejects on the last two. */
  async run(vmId: string, requestId: string): Promise<VmRecord> {
    try {
      return await this.attempts(vmId, requestId);
    } finally {
      this.o.claims.finish(vmId);
    }
  }

  /** consoleLogOnNode asks the VM's node for the tail of its serial console log. */
  async consoleLogOnNode(vm: VmRecord, maxBytes: number): Promise<string> {
    const msg = {
      type: 'console_log',
      request_id: newRequestId(),
      vm_id: vm.id,
      max_bytes: maxBytes,
    } as const;
    const answer = await this.o.link.request(vm.node_id!, msg, 15_000);
    if (answer.ok) return answer.text ?? '';
    throw new VmError('conflict', `Cannot read the console of VM "${vm.name}": the node refused`, {
      details: { agent_error: { code: answer.error?.code } },
    });
  }

  /** destroyOnNode asks the VM's node to destroy it; a node that no longer has it counts as done. */
  async destroyOnNode(vm: VmRecord, keepDisk: boolean, traceId?: string): Promise<void> {
    const msg = {
      type: 'destroy',
      request_id: newRequestId(),
      ...(traceId ? { trace_id: traceId } : {}),
      vm_id: vm.id,
      keep_disk: keepDisk,
    } as const;
    const answer = await this.o.link.request(vm.node_id!, msg, 60_000);
    if (answer.ok || answer.error?.code === 'vm_not_found') return;
    this.o.log.warn('destroy refused by node', {
      vm_id: vm.id,
      node_id: vm.node_id,
      error_code: answer.error?.code,
      agent_message: answer.error?.message,
    });
    throw new VmError(
      'conflict',
      `Cannot destroy VM "${vm.name}": the node refused (${answer.error?.code ?? 'unknown'})`,
      { details: { agent_error: { code: answer.error?.code } } },
    );
  }

  /** removeKeptOnNode asks a node to delete the disks a keep_disk destroy left; files already gone count as done. */
  async removeKeptOnNode(nodeId: string, vmId: string): Promise<void> {
    const msg = { type: 'remove_disks', request_id: newRequestId(), vm_id: vmId } as const;
    const answer = await this.o.link.request(nodeId, msg, 60_000);
    if (answer.ok) return;
    throw new VmError('conflict', `Cannot remove kept disks of "${vmId}": the node refused`, {
      details: { agent_error: { code: answer.error?.code } },
    });
  }

  /** resizeOnNode sends a resize to the VM's node; a refusal keeps the agent's code and message. */
  async resizeOnNode(vm: VmRecord, order: ResizeOrder, traceId?: string): Promise<void> {
    const msg = {
      type: 'resize',
      request_id: newRequestId(),
      ...(traceId ? { trace_id: traceId } : {}),
      ...order,
    } as const;
    const answer = await this.o.link.request(vm.node_id!, msg, 120_000);
    if (answer.ok) return;
    const code = answer.error?.code;
    throw new VmError(
      code === 'disk_shrink_refused' ? code : 'conflict',
      `Cannot resize VM "${vm.name}": the node refused (${code ?? 'unknown'}: ${answer.error?.message ?? 'no message'})`,
      { details: { agent_error: answer.error ?? null } },
    );
  }

  /** powerOnNode sends a stop, start or reboot to the VM's node and returns the state it reports after. */
  async powerOnNode(
    vm: VmRecord,
    op: 'stop' | 'start' | 'reboot',
    timeoutMs: number,
  ): Promise<VmRecord['state']> {
    const msg = {
      type: 'power',
      request_id: newRequestId(),
      vm_id: vm.id,
      op,
      timeout_ms: timeoutMs,
    } as const;
    // the agent waits timeoutMs for the guest before forcing it, then may start it again
    const answer = await this.o.link.request(vm.node_id!, msg, timeoutMs + 60_000);
    const reported = (answer.vm as { state?: VmRecord['state'] } | undefined)?.state;
    if (answer.ok) return reported ?? (op === 'stop' ? 'stopped' : 'running');
    this.o.log.warn('power order refused by node', {
      vm_id: vm.id,
      node_id: vm.node_id,
      op,
      error_code: answer.error?.code,
      agent_message: answer.error?.message,
    });
    throw new VmError(
      'conflict',
      `Cannot ${op} VM "${vm.name}": the node refused (${answer.error?.code ?? 'unknown'}: ${answer.error?.message ?? 'no message'})`,
      { details: { agent_error: answer.error ?? null } },
    );
  }

  private async attempts(vmId: string, requestId: string): Promise<VmRecord> {
    const exclude = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      const vm = this.mustGet(vmId);
      const outcome = await this.attempt(vm, attempt, requestId);
      if (outcome.kind === 'running') return outcome.vm;
      this.o.log.warn('claim refused by node, placing again', {
        vm_id: vmId,
        node_id: vm.node_id,
        error_code: outcome.reason,
        request_id: requestId,
      });
      exclude.add(vm.node_id!);
      await this.reclaim(vm, exclude, attempt + 1, requestId);
    }
  }

  private async attempt(vm: VmRecord, attempt: number, requestId: string): Promise<Attempt> {
    const nodeId = vm.node_id!;
    const canRetry = attempt < (this.o.maxAttempts ?? 3);
    let answer: AgentAnswer;
    try {
      const hello = this.o.placer.nodeHello(nodeId);
      if (!hello) throw new VmError('conflict', `Cannot spawn on node "${nodeId}": node unknown`);
      // the wire id correlates this one attempt's answer; a retry must not match a late answer
      const msg = buildSpawnMessage(vm, { requestId: newRequestId(), traceId: requestId });
      await this.o.claims.spawning(vm, attempt, requestId);
      answer = await this.o.link.request(nodeId, msg, this.o.spawnTimeoutMs ?? 120_000);
    } catch (err) {
      const code = isVmpoolError(err) ? err.code : 'internal';
      if (code === 'node_unavailable' && canRetry) return { kind: 'retry', reason: code };
      if (UNKNOWN_OUTCOME_CODES.has(code)) throw this.unknownOutcome(vm, err, requestId);
      await this.release(vm.id, err, requestId);
      throw err;
    }
    if (answer.ok) {
      const reach = { network: answer.vm?.network, guest: answer.vm?.guest };
      const running = await this.o.claims.markRunning(vm.id, requestId, reach);
      return { kind: 'running', vm: running };
    }
    const code = answer.error?.code ?? 'spawn_failed';
    if (STALE_CLAIM_CODES.has(code) && canRetry) return { kind: 'retry', reason: code };
    // the agent's message names the failing step and the bridge; the HTTP layer redacts host paths for tenants
    const message = answer.error?.message ?? code;
    const err = new VmError(
      'spawn_failed',
      `Cannot start VM "${vm.name}": the node refused it (${code}: ${message})`,
      {
        details: { agent_error: { code, message }, node_id: nodeId },
      },
    );
    // an error entry whose MESSAGE carries the node's reason (the failed step and its error)
    this.o.log.error('vm spawn failed on node', {
      vm_id: vm.id,
      vmid: vm.vmid,
      vm_name: domainName(vm.tenant, vm.name),
      tenant_id: vm.tenant,
      node_id: nodeId,
      error_code: code,
      err: { message: answer.error?.message ?? code, code },
      request_id: requestId,
    });
    await this.release(vm.id, err, requestId);
    throw err;
  }

  /**
   * unknownOutcome: the spawn left for the node and its answer was lost (socket dropped, timeout).
   * The VM may come up anyway, so the claim stays `creating` and the node's next report settles it
   * (running, or released when the node does not have it); the caller gets a code saying exactly that.
   */
  private unknownOutcome(vm: VmRecord, err: unknown, requestId: string): VmError {
    const cause = isVmpoolError(err) ? err.code : 'internal';
    this.o.log.warn('spawn outcome unknown; the node will report it', {
      vm_id: vm.id,
      node_id: vm.node_id,
      error_code: cause,
      err,
      request_id: requestId,
    });
    return new VmError(
      'spawn_outcome_unknown',
      `VM "${vm.name}" was sent to its node but the answer was lost (${cause}); the node's next report settles it: watch GET /v1/vms/${vm.id}`,
      { cause: err, details: { vm_id: vm.id, state: 'creating', node_id: vm.node_id, cause } },
    );
  }

  private async reclaim(vm: VmRecord, exclude: ReadonlySet<string>, attempt: number, requestId: string) {
    const result = this.o.placer.place(vm.request as CreateVmRequest, vm.tenant, vm.id, exclude);
    if (!result.ok) {
      const shape = largestNuma(this.o.placer.hellos());
      const reason = tenantReason(vm.request as CreateVmRequest, result.shortfall, shape, result.passes);
      const err = new NoCapacityError(result.passes, result.shortfall, reason);
      await this.release(vm.id, err, requestId);
      throw err;
    }
    await this.o.claims.reclaim(vm.id, { decision: result.decision, seed: result.seed }, attempt, requestId);
  }

  private release(vmId: string, err: unknown, requestId: string): Promise<void> {
    this.o.log.warn('spawn failed', { vm_id: vmId, err, request_id: requestId });
    return this.o.claims.release(vmId, isVmpoolError(err) ? err.code : 'internal', requestId);
  }

  private mustGet(vmId: string): VmRecord {
    const vm = this.o.claims.get(vmId);
    if (!vm) throw new VmError('not_found', 'Cannot find VM: it was removed');
    return vm;
  }
}
