/**
 * Tenant-facing redaction of what nodes say. An agent's refusal names the failing step, the bridge
 * and the libvirt error, which a tenant needs to fix its request, but also host paths
 * (/var/lib/vmpool/images/vms/…, /sys/class/net/…), which are the host's business. The admin sees
 * every message whole; a tenant sees the same text with each host path replaced.
 */

/** HOST_PATH matches an absolute path of two or more segments that is not an API route (/v1/…). */
const HOST_PATH = /(?<![\w.:/-])\/(?!v1\/)[\w.@+-]+(?:\/[\w.@+-]*)+/g;

/** REDACTED stands in for a host path in a tenant's answer. */
export const REDACTED = '<host path>';

/** redactHostPaths replaces every host path in a text. */
export function redactHostPaths(text: string): string {
  return text.replace(HOST_PATH, REDACTED);
}

/** redactProblem redacts a problem's detail and its agent_error message for a tenant's answer. */
export function redactProblem(detail: string, extra: Record<string, unknown>) {
  const agent = extra.agent_error as { code?: unknown; message?: unknown } | null | undefined;
  const redactedAgent =
    agent && typeof agent.message === 'string'
      ? { ...agent, message: redactHostPaths(agent.message) }
      : agent;
  return {
    detail: redactHostPaths(detail),
    extra: agent === undefined ? extra : { ...extra, agent_error: redactedAgent },
  };
}
