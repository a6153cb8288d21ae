import { readFileSync } from 'node:fs';
import { ApiError, ClientError, type FetchFn, VmpoolClient } from '../api/index.js';
import { loadOptions, readSecret } from '../shared/config.js';
import { findCommandWords, GLOBAL_OPTIONS, takeRepeated } from './args.js';
import type { CommandResult } from './command.js';
import { commandHelp, findCommand, groupHelp, toolHelp } from './commands.js';
import { CTL_VERSION } from './lifecycle-commands.js';
import { CtlError, EXIT, exitCodeFor, renderError } from './errors.js';

/** TextSink is where output goes: process.stdout/stderr or a test buffer. */
export interface TextSink {
  write(text: string): unknown;
}

/** RunIo carries the process edges: environment, output streams, and optional fetch/readFile for tests. */
export interface RunIo {
  env: NodeJS.ProcessEnv;
  stdout: TextSink;
  stderr: TextSink;
  fetch?: FetchFn;
  readFile?: (path: string) => string;
  /** tty is true when stderr is a terminal: spawn then shows each step as it happens */
  tty?: boolean;
}

/** run is the whole CLI: it parses argv, calls the coordinator, prints, and resolves to the exit code. */
export async function run(argv: readonly string[], io: RunIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    // scripts using --json still get the problem body on stdout; humans read stderr
    if (err instanceof ApiError && argv.includes('--json'))
      io.stdout.write(`${JSON.stringify(err.problem, null, 2)}\n`);
    io.stderr.write(renderError(err));
    return exitCodeFor(err);
  }
}

async function dispatch(argv: readonly string[], io: RunIo): Promise<number> {
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  const words = findCommandWords(argv);
  if (argv.includes('--version') && words.length === 0)
    return print(io.stdout, `vmpoolctl ${CTL_VERSION}\n`, EXIT.ok);
  const group = wantsHelp ? groupHelp(words[0]) : null;
  if (group && (words.length === 1 || !findCommandSafe(words))) return print(io.stdout, group, EXIT.ok);
  if (words.length === 0) {
    if (wantsHelp) return print(io.stdout, toolHelp(), EXIT.ok);
    io.stderr.write(toolHelp());
    throw new CtlError('usage', 'Cannot run vmpoolctl: no command given');
  }
  const { command, words: used } = findCommand(words);
  if (wantsHelp) return print(io.stdout, commandHelp(command), EXIT.ok);
  const { rest, values: repeated } = takeRepeated(argv, command.repeatable ?? []);
  const { values, positionals } = loadOptions([...GLOBAL_OPTIONS, ...command.options], rest, io.env);
  const token = (values.token as string | undefined) ?? readSecret('VMPOOL_TOKEN', io.env);
  const timeoutS = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutS !== undefined && !(Number.isFinite(timeoutS) && timeoutS > 0))
    throw new CtlError(
      'usage',
      `Cannot read --timeout: expected seconds above 0, got ${JSON.stringify(values.timeout)}`,
    );
  const client = connect(String(values.url), token, io.fetch, timeoutS);
  const result = await command.run({
    client,
    token,
    values,
    args: positionals.slice(used),
    repeated,
    readFile: io.readFile ?? ((p) => readFileSync(p, 'utf8')),
    stdout: (t) => void io.stdout.write(t),
    stderr: (t) => void io.stderr.write(t),
    tty: io.tty === true && values.json !== true,
  });
  return emit(io, result, values.json === true);
}

/** connect builds the API client; a bad --url is a usage error (exit 2). */
function connect(
  url: string,
  token: string | undefined,
  fetchFn: FetchFn | undefined,
  timeoutS: number | undefined,
): VmpoolClient {
  try {
    const timeoutMs = timeoutS === undefined ? undefined : Math.round(timeoutS * 1000);
    return new VmpoolClient({ url, token, timeoutMs, ...(fetchFn ? { fetch: fetchFn } : {}) });
  } catch (err) {
    if (err instanceof ClientError) throw new CtlError('usage', err.message, { cause: err });
    throw err;
  }
}

function emit(io: RunIo, r: CommandResult, json: boolean): number {
  for (const note of r.notes ?? []) io.stderr.write(`${note}\n`);
  if (!r.printed) io.stdout.write(json ? `${JSON.stringify(r.raw, null, 2)}\n` : r.human);
  return r.exitCode ?? EXIT.ok;
}

function findCommandSafe(words: readonly string[]): boolean {
  try {
    findCommand(words);
    return true;
  } catch {
    return false;
  }
}

function print(sink: TextSink, text: string, code: number): number {
  sink.write(text);
  return code;
}
