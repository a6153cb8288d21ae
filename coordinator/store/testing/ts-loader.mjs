// ts-loader.mjs lets a child `node --import ./ts-loader.mjs file.ts` run project TypeScript on Node 20
// (which cannot strip types itself) by transpiling with the project's own typescript dev dependency.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

if (!process.env.VMPOOL_TS_LOADER_HOOKS) {
  process.env.VMPOOL_TS_LOADER_HOOKS = '1';
  register(import.meta.url);
}

/** resolve maps the `.js` import suffix our sources use to the `.ts` file beside it. */
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL) {
    const ts = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (existsSync(fileURLToPath(ts))) return { url: ts.href, shortCircuit: true };
  }
  return next(specifier, context);
}

/** load transpiles `.ts` files to ES modules (types stripped, no type check). */
export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const { default: ts } = await import('typescript');
  const source = await readFile(fileURLToPath(url), 'utf8');
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: fileURLToPath(url),
  });
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
