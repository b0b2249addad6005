// The command line in-process, through main(argv, env, dispatch, io): what it validates, what it says, which
// config it hands the command. No bundle spawned (test/cli/cli.test.ts keeps the real-spawn smoke tests).
import t from 'tap';
import { join } from 'node:path';
import { main, type Dispatch } from '../../src/cli.js';
import type { RunConfig, SidecarConfig, StatusConfig } from '../../src/commands/config.js';
import type { Io } from '../../src/common/io.js';

interface Ran {
  code: number | undefined;
  stdout: string;
  stderr: string;
  run: RunConfig | null;
  status: StatusConfig | null;
  sidecar: SidecarConfig | null;
}

/** main() with a dispatch that records the config it is handed (exit 0) and an io that records what is written. */
async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  const ran: Ran = { code: undefined, stdout: '', stderr: '', run: null, status: null, sidecar: null };
  const io: Io = { stdout: (text) => void (ran.stdout += text), stderr: (text) => void (ran.stderr += text) };
  const dispatch: Dispatch = {
    exitCode: undefined,
    run: async (config) => ((ran.run = config), 0),
    status: async (config) => ((ran.status = config), 0),
    sidecar: async (config) => ((ran.sidecar = config), 0),
  };
  ran.code = await main(argv, env, dispatch, io);
  return ran;
}

t.test('usage errors: one line on stderr, exit 2, nothing run', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /no command given/],
    [['--dry-run'], /no command given/],
    [['--memory', '12X', '--', 'true'], /not a memory size: "12X"/],
    [['--cpus', '-1', '--', 'true'], /not a CPU count/],
    [['--rewrite', '15', '--', 'true'], /--rewrite wants FROM:TO/],
    [['--rewrite', 'TERM:NOPE', '--', 'true'], /--rewrite wants FROM:TO/],
    [['--health-port', '70000', '--', 'true'], /--health-port must be a whole number from 0 to 65535, not "70000"/],
    [['--health-port', 'http', '--', 'true'], /--health-port must be a whole number from 0 to 65535, not "http"/],
    [['--grace-period', '-3', '--', 'true'], /--grace-period must be a number from 0 to 86400, not "-3"/],
    [['--grace-period', 'abc', '--', 'true'], /--grace-period must be a number from 0 to 86400, not "abc"/],
    [['--monitor-interval', '0', '--', 'true'], /--monitor-interval must be a number from 0.05 to 3600, not "0"/],
    [['--json', '--', 'true'], /--json goes with --dry-run/],
    [
      ['--exec', '--health-port', '9464', '--rewrite', '15:3', '--', 'true'],
      /--exec replaces memshim by the command, so --health-port, --rewrite cannot apply/,
    ],
    [['--exec', '--monitor-interval', '0.5', '--', 'true'], /so --monitor-interval cannot apply/],
    [['--runtime', 'cobol', '--', 'true'], /Invalid values: Argument: runtime, Given: "cobol"/],
    [['--no-such-flag', '--', 'true'], /Unknown argument/],
    [['sidecar'], /exactly one of --pid N or --match REGEX/],
    [['sidecar', '--match', '('], /--match is not a regular expression/],
  ];
  for (const [args, message] of cases) {
    const ran = await cli(args, { MEMSHIM_MEMORY: '', MEMSHIM_CPUS: '' });
    t.equal(ran.code, 2, `exit 2 for ${JSON.stringify(args)}`);
    t.match(ran.stderr, message, `says why for ${JSON.stringify(args)}`);
    t.equal(ran.stderr.trim().split('\n').length, 1, `one line for ${JSON.stringify(args)}: ${ran.stderr}`);
    t.equal(ran.stdout, '', 'prints nothing on stdout');
    t.same([ran.run, ran.status, ran.sidecar], [null, null, null], 'runs nothing');
  }
  const execWithCommandFlags = await cli([
    '--exec',
    '--dry-run',
    '--json',
    '--',
    'node',
    '--rewrite',
    '--health-port',
    '1',
  ]);
  t.equal(execWithCommandFlags.code, 0, "the command's own flags are not memshim's");
  t.same(execWithCommandFlags.run?.argv, ['node', '--rewrite', '--health-port', '1']);
  const badEnv = await cli(['--dry-run', '--', 'true'], { MEMSHIM_MEMORY: 'lots' });
  t.equal(badEnv.code, 2, 'a bad MEMSHIM_MEMORY is a usage error too');
  t.match(badEnv.stderr, /not a memory size: "lots"/);
});

t.test(
  '--termination-log and --state-dir are taken against the start directory (memshim later moves to /)',
  async (t) => {
    const given = await cli(['--termination-log', 'verdict.txt', '--state-dir', 'state', '--', 'true']);
    t.equal(given.run!.terminationLog, join(process.cwd(), 'verdict.txt'));
    t.equal(given.run!.stateDir, join(process.cwd(), 'state'));
    const fromEnv = await cli(['--', 'true'], {
      MEMSHIM_TERMINATION_LOG: 'x/verdict',
      MEMSHIM_STATE_DIR: '/var/run/m',
    });
    t.equal(fromEnv.run!.terminationLog, join(process.cwd(), 'x/verdict'));
    t.equal(fromEnv.run!.stateDir, '/var/run/m');
    const off = await cli(['--termination-log', '', '--', 'true']);
    t.equal(off.run!.terminationLog, '', "'' still turns the termination log off");
  },
);

t.test('the run config: options, MEMSHIM_* variables, defaults', async (t) => {
  const ran = await cli([
    '--dry-run',
    '--json',
    '--memory',
    '512Mi',
    '--cpus',
    '1500m',
    '--rewrite',
    'TERM:QUIT',
    '--',
    'node',
    'app.js',
    '--',
    'x',
  ]);
  t.equal(ran.code, 0, ran.stderr);
  const config = ran.run!;
  t.same(config.argv, ['node', 'app.js', '--', 'x'], 'arguments after the command pass through as given');
  t.equal(config.reader.memoryOverride, 512 * 2 ** 20);
  t.equal(config.reader.cpusOverride, 1.5);
  t.same([...config.rewrite], [[15, 3]]);
  t.match(config, {
    dryRun: true,
    json: true,
    tune: true,
    exec: false,
    gracePeriodMs: 5000,
    monitorIntervalMs: 1500,
    healthPort: null,
    log: { format: 'json', level: 'info' },
  });
  const fromEnv = (
    await cli(['python3', '-c', 'print(1)'], {
      MEMSHIM_MEMORY: '1Gi',
      MEMSHIM_CPUS: '0.5',
      MEMSHIM_HEALTH_PORT: '9464',
      MEMSHIM_LOG_LEVEL: 'debug',
    })
  ).run!;
  t.same(fromEnv.argv, ['python3', '-c', 'print(1)'], 'the command may follow the options without --');
  t.match(fromEnv, {
    reader: { memoryOverride: 2 ** 30, cpusOverride: 0.5 },
    healthPort: 9464,
    log: { level: 'debug' },
  });
  const named = await cli(['--dry-run', '--json', '--', 'status', '--check']);
  t.same(named.run?.argv, ['status', '--check'], 'a program named like a subcommand runs after --');
  t.equal(named.status, null);
});

t.test('the status and sidecar configs', async (t) => {
  const status = (await cli(['status', '--check', '--json'], { MEMSHIM_HEALTH_PORT: '9999' })).status!;
  t.match(status, { check: true, json: true, url: 'http://127.0.0.1:9999', serverExpected: true });
  const plain = (await cli(['status'])).status!;
  t.match(plain, { url: 'http://127.0.0.1:9464', serverExpected: false });
  const sidecar = (await cli(['sidecar', '--match', 'java .*app.jar'])).sidecar!;
  t.equal(sidecar.pid, null);
  t.ok(sidecar.match?.test('java -jar app.jar'));
  t.equal(sidecar.healthPort, 9464, 'the sidecar serves on the usual port unless told');
});
