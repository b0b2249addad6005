// Module hooks that run the TypeScript of test/, bench/ and src/ straight from source: each .ts file is
// transpiled by sucrase (types dropped, nothing checked: `npm run typecheck` does that; lines kept where they
// are, and an inline source map, so stack traces and tap's coverage point at the .ts lines). Registered by
// ts-register.mjs, which tap (package.json "node-arg") and `npm run bench` load with --import.
// Why not tap's own TypeScript plugin: it loads ts-node and the TypeScript compiler into every test process,
// about 2 s of CPU each before the first test runs (CONTRIBUTING.md, "Tests").
// Why not esbuild (the bundler): its transform runs in a service process, a child of the process under test, and
// the supervisor tests that run in-process reap and stop every child they find: esbuild's too. sucrase is
// plain JavaScript in the process that asks.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'sucrase';

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
  const { code, sourceMap } = transform(await readFile(file, 'utf8'), {
    transforms: ['typescript'],
    disableESTransforms: true, // Node runs today's JavaScript as it is
    filePath: file,
    sourceMapOptions: { compiledFilename: file },
  });
  const map = Buffer.from(JSON.stringify({ ...sourceMap, sources: [file] })).toString('base64');
  return {
    format: 'module',
    source: `${code}\n//# sourceMappingURL=data:application/json;base64,${map}\n`,
    shortCircuit: true,
  };
}
