import { type Hello, PROTOCOL_VERSION } from '../../shared/protocol.js';
import { seed003Host } from '../placement/testing.js';

/** helloFor builds a seed-003 host's hello for registry and API tests (pure, no I/O). */
export function helloFor(id: string, over: Partial<Hello> = {}): Hello {
  const node = seed003Host(id);
  return {
    type: 'hello',
    v: PROTOCOL_VERSION,
    node_id: id,
    boot_id: 'boot',
    reserved: false,
    kvm: true,
    topology: node.topology as Hello['topology'],
    host_reserved_cpus: [...node.host_reserved_cpus],
    host_reserved_memory_mb: 0,
    vms: [],
    agent_version: 'test',
    images_dir: `/img/${id}`,
    images: ['debian'],
    ...over,
  };
}
