// Module hooks that run the TypeScript of test/, bench/ and src/ straight from source: each .ts file is
// transpiled by esbuild (types dropped, nothing checked: `npm run typecheck` does that) with an inline source
// map, so stack traces and tap's coverage point at the .ts lines. Registered by ts-register.mjs, which tap
// (package.json "node-arg") and `npm run bench` load with --import.
// Why not tap's own TypeScript plugin: it loads ts-node and the TypeScript compiler into every test process,
// about 2 s of CPU each before the first test runs (CONTRIBUTING.md, "Tests").
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

const RELATIVE = /^(\.{1,2}\/|\/|file:)/;

/** `import './x.js'` names the emitted file, as TypeScript's NodeNext resolution wants: here it is x.ts. */
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !RELATIVE.test(specifier) || !specifier.endsWith('.js')) throw error;
    return nextResolve(`${specifier.slice(0, -'.js'.length)}.ts`, context);
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const { code } = await transform(await readFile(file, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    sourcemap: 'inline',
    sourcefile: file,
  });
  return { format: 'module', source: code, shortCircuit: true };
}
