// The v2 tier's runner, run inside the VM by test/v2/run: every test/v2/checks/*.mjs in name order (each exports
// `checks`, a list of [name, async fn]), or only the checks whose file or name contains one of the arguments.
// Prints TAP; exits 1 when any check failed. Each check's time is printed: the VM's speed varies.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CheckError } from './lib.mjs';

const dir = new URL('./checks/', import.meta.url).pathname;
const filters = process.argv.slice(2);
const selected = [];
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.mjs'))
  .sort()) {
  const { checks } = await import(join(dir, file));
  for (const [name, fn] of checks) {
    if (filters.length === 0 || filters.some((f) => file.includes(f) || name.includes(f)))
      selected.push({ file, name, fn });
  }
}
console.log('TAP version 14');
console.log(`1..${selected.length}`);
let failed = 0;
for (const [i, { file, name, fn }] of selected.entries()) {
  const started = Date.now();
  try {
    await fn();
    console.log(`ok ${i + 1} - ${file}: ${name} # ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    failed++;
    console.log(`not ok ${i + 1} - ${file}: ${name} # ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const text = error instanceof CheckError ? error.message : (error?.stack ?? String(error));
    for (const line of text.split('\n')) console.log(`  # ${line}`);
  }
}
console.log(`# ${selected.length - failed} of ${selected.length} passed`);
process.exit(failed ? 1 : 0);
