import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// Only for running from TypeScript sources in a child process or worker thread (tests): Node 20 cannot
// strip types, and vitest does not transform code there. These module hooks transpile .ts files with
// the project's own `typescript` and map `./x.js` imports to `./x.ts`, as tsc's NodeNext layout expects.
// The compiled build (dist/) never uses this.
const LOADER_SOURCE = `
let ts;
export async function initialize(data) { ts = (await import(data.typescriptUrl)).default; }
export async function resolve(specifier, context, next) {
  try { return await next(specifier, context); } catch (err) {
    const fromTs = context.parentURL !== undefined && context.parentURL.endsWith('.ts');
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !fromTs || !specifier.endsWith('.js')) throw err;
    return next(specifier.slice(0, -3) + '.ts', context);
  }
}
export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const { readFile } = await import('node:fs/promises');
  const source = await readFile(new URL(url), 'utf8');
  const out = ts.transpileModule(source, { fileName: url, compilerOptions: {
    module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false, inlineSourceMap: true } });
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
`;

/** tsBootstrapScript returns CommonJS code that installs the .ts hooks and then imports entryUrl. */
export function tsBootstrapScript(entryUrl: string): string {
  const loaderUrl = `data:text/javascript,${encodeURIComponent(LOADER_SOURCE)}`;
  const typescriptUrl = pathToFileURL(createRequire(import.meta.url).resolve('typescript')).href;
  return [
    `require('node:module').register(${JSON.stringify(loaderUrl)}, { data: ${JSON.stringify({ typescriptUrl })} });`,
    `import(${JSON.stringify(entryUrl)}).catch((err) => { process.exitCode = 1; throw err; });`,
  ].join('\n');
}

/** isTypeScriptSource tells whether a module URL is a .ts source (vitest) rather than compiled .js. */
export function isTypeScriptSource(moduleUrl: string): boolean {
  return moduleUrl.endsWith('.ts');
}
