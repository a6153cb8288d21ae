/** LivenessConfig bounds heartbeat load: interval = max(min, nodes / maxRate), down after `missed` intervals. */
export interface LivenessConfig {
  readonly minIntervalMs: number;
  /** maxHeartbeatsPerSecond caps the whole fleet's heartbeat rate (Nomad's max_heartbeats_per_second) */
  readonly maxHeartbeatsPerSecond: number;
  /** missedIntervals is how many intervals may pass silently before a node is down */
  readonly missedIntervals: number;
  /** jitterFraction spreads heartbeats so reconnecting agents do not beat in lockstep */
  readonly jitterFraction: number;
}

/** DEFAULT_LIVENESS keeps a small fleet at 5 s beats and caps a large one at 50 beats/s. */
export const DEFAULT_LIVENESS: LivenessConfig = {
  minIntervalMs: 5_000,
  maxHeartbeatsPerSecond: 50,
  missedIntervals: 3,
  jitterFraction: 0.1,
};

/** heartbeatIntervalMs is the interval handed to agents for a fleet of `nodes`; `rand` in [0,1) adds jitter. */
export function heartbeatIntervalMs(cfg: LivenessConfig, nodes: number, rand: number): number {
  const base = Math.max(cfg.minIntervalMs, (nodes / cfg.maxHeartbeatsPerSecond) * 1000);
  return Math.round(base * (1 + cfg.jitterFraction * rand));
}

/** downAfterMs is how long a node may stay silent: enough intervals to ride out jitter and one lost beat. */
export function downAfterMs(cfg: LivenessConfig, intervalMs: number): number {
  return intervalMs * cfg.missedIntervals;
}

/**
 * isDown says whether a node last seen at `lastSeen` is down at `now` for its interval. `stalledMs` is
 * the coordinator's own stall the deciding sweep may not yet have read past (the loop turn before it):
 * a beat that arrived in that stretch may still be unread in the socket, so it is not the node's silence.
 */
export function isDown(
  cfg: LivenessConfig,
  lastSeen: number,
  intervalMs: number,
  now: number,
  stalledMs = 0,
): boolean {
  return now - lastSeen - stalledMs > downAfterMs(cfg, intervalMs);
}
