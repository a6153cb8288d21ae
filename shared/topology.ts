/** HostThread is one online logical CPU with its place in the package/core hierarchy. */
export interface HostThread {
  readonly id: number;
  readonly core_id: number;
  readonly socket_id: number;
  /** siblings includes the thread itself, sorted ascending (kernel thread_siblings_list). */
  readonly siblings: readonly number[];
}

/** NumaNode is one NUMA cell: its memory and the online threads it holds (may be empty). */
export interface NumaNode {
  readonly id: number;
  readonly memory_mb: number;
  readonly free_memory_mb: number;
  readonly cpus: readonly HostThread[];
}

/** HostTopology is what the agent detects about its host; the shape `vmpool-agent inspect --json` prints. */
export interface HostTopology {
  readonly hostname: string;
  readonly kvm: boolean;
  /** kvm_reason says why KVM is not usable (missing /dev/kvm, no kvm domain in capabilities). */
  readonly kvm_reason?: string | undefined;
  readonly cpu_model: string;
  readonly sockets: number;
  readonly cores_per_socket: number;
  readonly threads_per_core: number;
  readonly memory_mb: number;
  readonly numa_nodes: readonly NumaNode[];
  readonly offline_cpus: readonly number[];
}
