import type { CommandContext } from './command.js';

/** CLEAR moves the cursor home and clears the screen (a terminal redraw). */
const CLEAR = '\x1b[H\x1b[2J';

/** WATCH_OPTION is the --watch flag `list` and `nodes` share. */
export const WATCH_OPTION = {
  flag: 'watch',
  type: 'boolean',
  help: 'redraw whenever an event arrives on /v1/events (no polling); Ctrl-C ends it',
} as const;

/**
 * watchRedraw prints render() now and again after events arrive on the coordinator's event stream
 * (a burst, such as the stream's backlog, is drawn once after `quietMs`). It never polls; it ends
 * when the stream ends. A terminal is cleared before each drawing; a pipe gets one per blank line.
 */
export async function watchRedraw(
  ctx: CommandContext,
  render: () => Promise<string>,
  o: { kind?: string; quietMs?: number } = {},
): Promise<void> {
  const out = ctx.stdout ?? (() => undefined);
  let chain = Promise.resolve();
  const draw = () => {
    chain = chain.then(async () => out(ctx.tty ? `${CLEAR}${await render()}` : `${await render()}\n`));
  };
  draw();
  let timer: NodeJS.Timeout | undefined;
  const settle = () => {
    timer = undefined;
    draw();
  };
  for await (const item of ctx.client.events({ follow: true, ...(o.kind ? { kind: o.kind } : {}) })) {
    if ('gap' in item) continue;
    clearTimeout(timer);
    timer = setTimeout(settle, o.quietMs ?? 250);
  }
  // the stream ended with a drawing still due: draw it now
  if (timer !== undefined) {
    clearTimeout(timer);
    draw();
  }
  await chain;
}
