// Node's built-in modules, for code that loads one when it runs (node:sea, node:vm, node:v8, internal/test/binding).
// In the bundles this is the `require` they were given: in the single executable, the one Node gives its main
// script, which loads a built-in by name alone, where a start's first createRequire() and its first call through
// it compile the CommonJS loader's path resolution (a millisecond and more of a start that needs none of it). Run
// from source (the tests, ES modules: no `require`), one from createRequire().
import { createRequire } from 'node:module';

export function builtinRequire(): NodeJS.Require {
  return typeof require === 'function' ? require : createRequire(import.meta.url);
}
