// What a user sees: `memshim --dry-run --json` shows the runtime plan (env, runtime, notes, risks).
import t from 'tap';
import { runMemshim } from '../helpers/memshim.js';

t.test('bin/memshim --dry-run --json --memory 512Mi -- java -jar x.jar', async (t) => {
  const ran = runMemshim(['--dry-run', '--json', '--memory', '512Mi', '--', 'java', '-jar', 'x.jar'], {
    env: { ...process.env, JAVA_TOOL_OPTIONS: '-Dapp=1' },
  });
  t.equal(ran.code, 0, ran.stderr);
  const report = JSON.parse(ran.stdout);
  t.equal(report.runtime, 'jvm');
  t.match(
    report.env.JAVA_TOOL_OPTIONS,
    /^-Dapp=1 -Xmx\d+m -XX:MaxMetaspaceSize=\d+m -XX:ReservedCodeCacheSize=\d+m -XX:MaxDirectMemorySize=\d+m .*-XX:\+ExitOnOutOfMemoryError$/,
  );
  t.equal(report.env.MEMSHIM_MEMORY_LIMIT_BYTES, String(512 * 2 ** 20));
  t.ok(report.notes.some((n: string) => n.startsWith('JVM budget 512 MiB limit')));
  t.same(report.risks, [], 'a plan memshim made itself has no risk at 512 MiB');
});

t.test('a user heap above the limit shows as an error risk, and --no-tune sets nothing but MEMSHIM_*', async (t) => {
  const ran = runMemshim([
    '--dry-run',
    '--json',
    '--memory',
    '512Mi',
    '--no-tune',
    '--',
    'node',
    '--max-old-space-size=4096',
    'app.js',
  ]);
  t.equal(ran.code, 0, ran.stderr);
  const report = JSON.parse(ran.stdout);
  t.equal(report.runtime, 'node');
  t.same(Object.keys(report.env).sort(), ['MEMSHIM_CPU_LIMIT', 'MEMSHIM_MEMORY_LIMIT_BYTES']);
  t.match(report.risks, [{ level: 'error', code: 'HEAP_EXCEEDS_LIMIT' }]);
  const text = runMemshim([
    '--dry-run',
    '--memory',
    '128Mi',
    '--python-memory-cap',
    '--',
    'python3',
    '-m',
    'gunicorn',
    'app:app',
  ]);
  t.match(text.stdout, /Runtime\s+python/);
  t.match(text.stdout, /setrlimit RLIMIT_DATA/);
  t.match(text.stdout, /WEB_CONCURRENCY=1/);
});

t.test("--dry-run masks what looks secret in argv and in the user's variables; --show-secrets shows it", async (t) => {
  const env = { ...process.env, JAVA_TOOL_OPTIONS: '-Djavax.net.ssl.keyStorePassword=changeit-77' };
  const argv = [
    '--dry-run',
    '--memory',
    '512Mi',
    '--',
    'java',
    '-jar',
    'x.jar',
    '--password=hunter2-77',
    '--db-token',
    'tok-77',
  ];
  for (const json of [false, true]) {
    const ran = runMemshim([...(json ? ['--json'] : []), ...argv], { env });
    t.equal(ran.code, 0, ran.stderr);
    for (const secret of ['changeit-77', 'hunter2-77', 'tok-77'])
      t.notMatch(ran.stdout, secret, `${json ? 'JSON' : 'text'} hides ${secret}`);
    t.match(ran.stdout, 'keyStorePassword=***', 'the name stays, so the user sees it is there');
    t.match(ran.stdout, '--password=***');
    if (json) t.match(JSON.parse(ran.stdout).env.JAVA_TOOL_OPTIONS, /-Xmx\d+m/, "memshim's own values are shown");
  }
  const shown = runMemshim(['--show-secrets', ...argv], { env });
  t.equal(shown.code, 0, shown.stderr);
  for (const secret of ['changeit-77', 'hunter2-77', 'tok-77'])
    t.match(shown.stdout, secret, `--show-secrets shows ${secret}`);
});
