// A Node binary of a given major version from the `node` npm package, installed into .cache/node<MAJOR> on first
// use (not node_modules, and never on the PATH of npm scripts: they keep the system Node). Used by
// scripts/build-binary.mjs (the executable's Node 24) and .ci/node-matrix (the npm package on other Nodes).
//   node scripts/fetch-node.mjs 22     prints the path of a Node 22 binary, installing it first if needed
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDirLock } from './dir-lock.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The path of a Node `major` binary under .cache/node<major>; installs it with npm when none is there. */
export function nodeBinary(major) {
  const prefix = join(ROOT, '.cache', `node${major}`);
  const candidates = [
    join(prefix, 'node_modules', 'node', 'bin', 'node'),
    // `node` fetches its binary in a preinstall script; where npm skips install scripts, the platform package
    // it would have fetched is installed directly (it ships bin/node, no script needed).
    join(prefix, 'node_modules', `node-${process.platform}-${process.arch}`, 'bin', 'node'),
  ];
  const found = () => candidates.find((file) => existsSync(file) && isNode(file, major));
  const binary = found();
  if (binary) return binary;
  // Test files that need the same Node run in parallel: one installs, the others wait and take its binary.
  return withDirLock(
    `${prefix}.lock`,
    `installing node@${major}`,
    INSTALL_WAIT_MS,
    () => found() ?? install(major, prefix, found),
  );
}

/** Bounds a wait for another process's install: it takes seconds, or minutes on a slow registry. */
const INSTALL_WAIT_MS = 10 * 60_000;

function install(major, prefix, found) {
  // What is there has no working binary (an install cut short): it is a cache, made again from nothing.
  rmSync(prefix, { recursive: true, force: true });
  // On stderr: stdout of the command-line use is the path alone.
  console.error(`installing node@${major} into ${prefix} (once)`);
  npm(['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `node@${major}`]);
  let binary = found();
  if (binary) return binary;
  const version = JSON.parse(readFileSync(join(prefix, 'node_modules', 'node', 'package.json'), 'utf8')).version;
  npm([
    'install',
    '--no-save',
    '--no-audit',
    '--no-fund',
    '--prefix',
    prefix,
    `node-${process.platform}-${process.arch}@${version}`,
  ]);
  binary = found();
  if (binary) return binary;
  throw new Error(`no Node ${major} binary under ${prefix} after npm install`);
}

function npm(args) {
  // npm's own output would mix with the path printed on stdout: it goes to stderr.
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { cwd: ROOT, stdio: ['ignore', 2, 'inherit'] });
}

/** Whether `file` runs and is Node `major` (an install cut short can leave a binary that does not run). */
function isNode(file, major) {
  try {
    const version = execFileSync(file, ['--version'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return version.startsWith(`v${major}.`);
  } catch {
    return false;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const major = process.argv[2];
  if (!/^\d+$/.test(major ?? '')) {
    console.error('usage: node scripts/fetch-node.mjs MAJOR (e.g. 22)');
    process.exit(2);
  }
  try {
    console.log(nodeBinary(Number(major)));
  } catch (error) {
    console.error(`fetch-node: ${error.message}`);
    process.exit(1);
  }
}
