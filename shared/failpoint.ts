/**
 * failpoint kills the process with SIGKILL when VMPOOL_FAILPOINT names this point.
 * Fault tests use it to crash the agent right after each spawn step (as etcd's gofail does);
 * it costs one environment lookup when unset.
 */
export function failpoint(name: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.VMPOOL_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
