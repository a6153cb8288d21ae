import { isVmpoolError } from '../../shared/errors.js';
import type { AgentAnswer } from '../link/server.js';
import { newRequestId } from '../link/server.js';
import type { VmRecord } from '../store/index.js';
import { NoCapacityError, VmError } from './errors.js';
import { forgetVm, toPlacement } from './records.js';
import type { CreateVmRequest } from './schema.js';
import type { VmService, VmServiceOptions } from './service.js';
import { buildSpawnMessage } from './spawn-message.js';

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

type Attempt = { kind: 'running'; vm: VmRecord } | { kind: 'retry'; reason: string };

/**
 * Spawner drives one claimed VM to running: it asks the node, re-places a stale claim elsewhere
 * (bounded attempts), releases everything when the spawn failed for good, and leaves the claim in
 * place when the outcome is unknown (sent, then the socket dropped or timed out).
 */
export class Spawner {
  constructor(
    private readonly o: VmServiceOptions,
    private readonly service: VmService,
  ) {}

  /** run spawns until running, failed (released) or unknown (claim kept); rejects on the last two. */
  async run(vmId: string, requestId: string): Promise<VmRecord> {
    const exclude = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      const vm = this.service.mustGet(vmId);
      const outcome = await this.attempt(vm, attempt, requestId);
      if (outcome.kind === 'running') return outcome.vm;
      this.o.log.warn('claim refused by node, placing again', {
        vm_id: vmId,
        node_id: vm.node_id,
        error_code: outcome.reason,
        request_id: requestId,
      });
      exclude.add(vm.node_id!);
      await this.reclaim(vmId, exclude, requestId);
    }
  }

  private async attempt(vm: VmRecord, attempt: number, requestId: string): Promise<Attempt> {
    const nodeId = vm.node_id!;
    const canRetry = attempt < (this.o.maxAttempts ?? 3);
    let answer: AgentAnswer;
    try {
      const node = this.o.registry.get(nodeId);
      if (!node) throw new VmError('conflict', `Cannot spawn on node "${nodeId}": node unknown`);
      answer = await this.o.link.request(
        nodeId,
        buildSpawnMessage(vm, { requestId: newRequestId() }),
        this.o.spawnTimeoutMs ?? 120_000,
      );
    } catch (err) {
      const code = isVmpoolError(err) ? err.code : 'internal';
      if (code === 'node_unavailable' && canRetry) return { kind: 'retry', reason: code };
      if (UNKNOWN_OUTCOME_CODES.has(code)) throw this.unknownOutcome(vm, err, requestId);
      await this.release(vm.id, err, requestId);
      throw err;
    }
    if (answer.ok) return { kind: 'running', vm: await this.markRunning(vm.id, requestId) };
    const code = answer.error?.code ?? 'spawn_failed';
    if (STALE_CLAIM_CODES.has(code) && canRetry) return { kind: 'retry', reason: code };
    // the agent's message names host paths and other VMs: it goes to the log and audit, not to the tenant
    const err = new VmError('spawn_failed', `Cannot start VM "${vm.name}": the node refused it (${code})`, {
      details: { agent_error: { code }, node_id: nodeId },
    });
    this.o.log.warn('spawn refused by node', {
      vm_id: vm.id,
      node_id: nodeId,
      error_code: code,
      agent_message: answer.error?.message,
      request_id: requestId,
    });
    await this.release(vm.id, err, requestId);
    throw err;
  }

  private unknownOutcome(vm: VmRecord, err: unknown, requestId: string): unknown {
    this.o.log.warn('spawn outcome unknown; the node will report it', {
      vm_id: vm.id,
      node_id: vm.node_id,
      err,
      request_id: requestId,
    });
    if (!isVmpoolError(err)) return err;
    return Object.assign(err, { details: { ...err.details, vm_id: vm.id, state: 'creating' } });
  }

  private async reclaim(vmId: string, exclude: ReadonlySet<string>, requestId: string): Promise<void> {
    const vm = this.service.mustGet(vmId);
    const req = vm.request as CreateVmRequest;
    const result = this.service.place(req, vm.tenant, vmId, exclude);
    if (!result.ok) {
      const err = new NoCapacityError(result.passes);
      await this.release(vmId, err, requestId);
      throw err;
    }
    const generation = this.o.registry.bump(result.decision.node_id);
    await this.o.store.update((d) => {
      const rec = d.vms[vmId];
      if (!rec) return;
      rec.node_id = result.decision.node_id;
      rec.placement = toPlacement(req, vm.tenant, result.decision, generation);
      rec.updated_at = new Date().toISOString();
    });
  }

  private async markRunning(vmId: string, requestId: string): Promise<VmRecord> {
    await this.o.store.update((d) => {
      const rec = d.vms[vmId];
      if (rec) Object.assign(rec, { state: 'running', updated_at: new Date().toISOString() });
    });
    const vm = this.service.mustGet(vmId);
    await this.o.audit.append({
      tenant: vm.tenant,
      vm: vmId,
      op: 'vm.create',
      source: 'agent',
      result: 'running',
    });
    this.o.log.info('vm running', { vm_id: vmId, vmid: vm.vmid, node_id: vm.node_id, request_id: requestId });
    return vm;
  }

  /** release forgets a VM that never ran: its claim, VMID and idempotency key go with it. */
  private async release(vmId: string, err: unknown, requestId: string): Promise<void> {
    const vm = this.o.store.read().vms[vmId];
    if (!vm) return;
    await this.o.store.update((d) => forgetVm(d, vmId));
    if (vm.node_id) this.o.registry.bump(vm.node_id);
    const code = isVmpoolError(err) ? err.code : 'internal';
    await this.o.audit.append({
      tenant: vm.tenant,
      vm: vmId,
      op: 'vm.create',
      source: 'coordinator',
      result: `failed:${code}`,
    });
    this.o.log.warn('vm create failed', { vm_id: vmId, tenant_id: vm.tenant, err, request_id: requestId });
  }
}
