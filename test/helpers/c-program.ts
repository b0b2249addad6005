// The C test programs (test/*/c/NAME.c): compiled with gcc once per test process, on first use, into a
// temporary directory removed at exit.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

let buildDir: string | null = null;

/** Path of the compiled SOURCES/NAME.c, built on first use; `flags` go to gcc (the same for every use of NAME). */
export function compiledC(sources: string, name: string, flags: readonly string[] = []): string {
  if (!buildDir) {
    buildDir = mkdtempSync(join(tmpdir(), 'memshim-c-'));
    const dir = buildDir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const out = join(buildDir, name);
  if (!existsSync(out)) {
    const built = spawnSync('gcc', ['-O2', '-Wall', ...flags, '-o', out, join(sources, `${name}.c`)], {
      encoding: 'utf8',
    });
    if (built.status !== 0) throw new Error(`gcc ${name}.c failed: ${built.stderr}`);
  }
  return out;
}

const SUPERVISOR_SOURCES = fileURLToPath(new URL('../supervisor/c/', import.meta.url));
const FAULT_SOURCES = fileURLToPath(new URL('../faults/c/', import.meta.url));

/** Path of the compiled test/supervisor/c/NAME.c (rlimit-probe static: no loader runs before its main). */
export function cProgram(name: 'recorder' | 'orphans' | 'rlimit-probe'): string {
  return compiledC(SUPERVISOR_SOURCES, name, name === 'rlimit-probe' ? ['-static'] : []);
}

/** Path of the compiled test/faults/c/NAME.c. */
export function faultProgram(name: 'term-counter'): string {
  return compiledC(FAULT_SOURCES, name);
}
