// A Node binary of a given major version from the `node` npm package, installed into .cache/node<MAJOR> on first
// use (not node_modules, and never on the PATH of npm scripts: they keep the system Node). Used by
// scripts/build-binary.mjs (the executable's Node 24) and .ci/node-matrix (the npm package on other Nodes).
//   node scripts/fetch-node.mjs 22     prints the path of a Node 22 binary, installing it first if needed
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  const found = () => candidates.find((file) => existsSync(file) && run(file, ['--version']).startsWith(`v${major}.`));
  let binary = found();
  if (binary) return binary;
  // On stderr: stdout of the command-line use is the path alone.
  console.error(`installing node@${major} into ${prefix} (once)`);
  npm(['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `node@${major}`]);
  binary = found();
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

function run(file, args) {
  return execFileSync(file, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
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
