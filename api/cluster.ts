/** ClusterLeader is who leads the coordinators: its id, base URL and term (grows with every leadership). */
export interface ClusterLeader {
  id: string;
  url: string;
  term: string;
}

/** EtcdMemberView is one etcd member as the cluster reports it. */
export interface EtcdMemberView {
  id: string;
  name: string;
  client_urls: string[];
}

/** EtcdView is etcd's health as one member reports it (healthy false: no answer within 2 s). */
export interface EtcdView {
  healthy: boolean;
  raft_term?: string;
  leader?: string;
  members?: EtcdMemberView[];
  error?: string;
}

/** ClusterView is GET /v1/cluster (admin): this coordinator, the leader, the term and etcd's health. */
export interface ClusterView {
  store: 'lowdb' | 'etcd';
  self?: { id: string; url: string; role: 'leader' | 'follower' | 'no_quorum'; ready: boolean };
  role?: 'leader';
  leader: ClusterLeader | null;
  term?: string | null;
  etcd: EtcdView | null;
  members?: unknown[];
}
