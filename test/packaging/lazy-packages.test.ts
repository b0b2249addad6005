// The packages only some commands use are outside what every start reads (docs/packaging.md, "Third round"): the
// npm install requires yargs from dist/yargs.cjs and the others from node_modules; the single executable compiles
// each from an asset of its own at its first require (src/sea-main.ts). Each must still answer where it is used,
// in both packagings: yargs (--help, usage errors), pino-pretty (--log-format pretty), prom-client (/metrics)
// and pidusage (`memshim status` read from the cgroup lists its processes' CPU and memory).
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '../helpers/free-port.js';
import { join } from 'node:path';
import { MEMSHIM, REPO, ensureBuilt } from '../helpers/memshim.js';
import { BINARY, ensureBinary } from '../helpers/binary.js';

const PACKAGINGS: [string, () => string][] = [
  ['npm install', () => (ensureBuilt(), MEMSHIM)],
  ['single executable', () => (ensureBinary(), BINARY)],
];

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, MEMSHIM_LOG_LEVEL: 'info' };
  delete e.NODE_OPTIONS;
  return e;
}

/** memshim through `env -u NODE_OPTIONS` (tap puts its hooks back into every spawn's NODE_OPTIONS). */
function run(entry: string, args: string[]) {
  return spawnSync('env', ['-u', 'NODE_OPTIONS', entry, ...args], { env: env(), encoding: 'utf8', timeout: 60_000 });
}

t.test('what is left out of the start is what the lazy packages are', async (t) => {
  ensureBuilt();
  const bundle = readFileSync(join(REPO, 'dist', 'memshim.cjs'), 'utf8');
  t.notMatch(bundle, /Not enough non-option arguments/, "the npm bundle holds none of yargs' own code");
  t.match(bundle, /require\("\.\/yargs\.cjs"\)/, 'it requires dist/yargs.cjs instead');
  t.match(readFileSync(join(REPO, 'dist', 'yargs.cjs'), 'utf8'), /Not enough non-option arguments/, 'where yargs is');
});

for (const [packaging, entry] of PACKAGINGS) {
  t.test(packaging, async (t) => {
    const memshim = entry();

    t.test('yargs: --help and a usage error', async (t) => {
      const help = run(memshim, ['--help']);
      t.equal(help.status, 0);
      t.match(help.stdout, /^Usage: memshim \[options\] -- COMMAND/);
      const bad = run(memshim, ['--bogus-option', '--', 'true']);
      t.equal(bad.status, 2, 'usage error: exit 2');
      t.equal(bad.stderr, 'memshim: Unknown argument: --bogus-option (memshim --help lists the options)\n');
    });

    t.test('pino-pretty: --log-format pretty', async (t) => {
      const ran = run(memshim, ['--log-format', 'pretty', '--', 'true']);
      t.equal(ran.status, 0);
      t.match(ran.stderr, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: planning for generic/m, 'a line pino-pretty wrote');
    });

    t.test('prom-client: /metrics of the health server', async (t) => {
      const port = await freePort();
      const child = spawn('env', ['-u', 'NODE_OPTIONS', memshim, '--health-port', String(port), '--', 'sleep', '30'], {
        env: env(),
        stdio: 'ignore',
      });
      const closed = new Promise((resolve) => child.on('close', resolve));
      t.teardown(async () => {
        child.kill('SIGTERM');
        await closed;
      });
      let body = '';
      for (let i = 0; i < 100 && !body.includes('memshim_memory_limit_bytes'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        body = await fetch(`http://127.0.0.1:${port}/metrics`).then(
          (response) => response.text(),
          () => '',
        );
      }
      t.match(body, /^# TYPE memshim_memory_limit_bytes gauge$/m, 'prom-client rendered the registry');
    });

    t.test("pidusage: `memshim status` from the cgroup, with its processes' usage", async (t) => {
      const ran = run(memshim, ['status', '--json']);
      t.equal(ran.status, 0, ran.stderr);
      const report = JSON.parse(ran.stdout) as { processes?: { pid: number; memoryBytes: number }[] };
      t.ok((report.processes ?? []).length > 0, 'processes listed');
      // The cgroup is the test run's own: processes come and go (a zombie reads 0), the first 32 are listed.
      t.ok(
        (report.processes ?? []).some((p) => p.memoryBytes > 0),
        'with the memory pidusage read',
      );
    });
  });
}
