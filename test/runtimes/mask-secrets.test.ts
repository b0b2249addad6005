// The masking --dry-run applies to the user's values (issue 9 item 11): a table of words as a user writes them.
import t from 'tap';
import { MASK, maskArgv, maskEnv, maskText, maskVariable } from '../../src/runtimes/mask-secrets.js';

t.test('argv: secret-looking options lose their value, everything else is shown as typed', async (t) => {
  const cases: [string[], string[]][] = [
    [
      ['app', '--password=hunter2'],
      ['app', `--password=${MASK}`],
    ],
    [
      ['app', '--password', 'hunter2', '--port', '80'],
      ['app', '--password', MASK, '--port', '80'],
    ],
    [
      ['app', '--db-pass', 'x'],
      ['app', '--db-pass', 'x'],
    ],
    [
      ['java', '-Djavax.net.ssl.keyStorePassword=changeit', '-jar', 'a.jar'],
      ['java', `-Djavax.net.ssl.keyStorePassword=${MASK}`, '-jar', 'a.jar'],
    ],
    [
      ['app', '--api-key=abc', '--API_TOKEN=def', '--client-secret=ghi', '--credentials=jkl'],
      ['app', `--api-key=${MASK}`, `--API_TOKEN=${MASK}`, `--client-secret=${MASK}`, `--credentials=${MASK}`],
    ],
    [
      ['app', '--token', '--verbose'],
      ['app', '--token', '--verbose'],
    ],
    [
      ['psql', 'postgres://app:s3cret@db:5432/app'],
      ['psql', `postgres://app:${MASK}@db:5432/app`],
    ],
    [
      ['curl', 'https://example.com/a?b=c'],
      ['curl', 'https://example.com/a?b=c'],
    ],
    [
      ['node', '--max-old-space-size=384', 'server.js'],
      ['node', '--max-old-space-size=384', 'server.js'],
    ],
    [
      ['java', '-Xmx512m', '-XX:MaxRAMPercentage=75', '-XX:+ExitOnOutOfMemoryError'],
      ['java', '-Xmx512m', '-XX:MaxRAMPercentage=75', '-XX:+ExitOnOutOfMemoryError'],
    ],
    [['--password'], ['--password']],
  ];
  for (const [argv, shown] of cases) t.same(maskArgv(argv), shown, argv.join(' '));
});

t.test('variables: a secret-looking name hides the whole value; other values hide their secret words', async (t) => {
  const cases: [string, string, string][] = [
    ['DB_PASSWORD', 'hunter2', MASK],
    ['AWS_SECRET_ACCESS_KEY', 'abc', MASK],
    ['GITHUB_TOKEN', 'ghp_x', MASK],
    [
      'JAVA_TOOL_OPTIONS',
      '-Djavax.net.ssl.keyStorePassword=changeit -Xmx300m',
      `-Djavax.net.ssl.keyStorePassword=${MASK} -Xmx300m`,
    ],
    [
      'JAVA_TOOL_OPTIONS',
      '-Dapp=1  -Xmx300m -XX:+ExitOnOutOfMemoryError',
      '-Dapp=1  -Xmx300m -XX:+ExitOnOutOfMemoryError',
    ],
    ['NODE_OPTIONS', '--max-old-space-size=384', '--max-old-space-size=384'],
    ['DATABASE_URL', 'mysql://root:pw@db/app', `mysql://root:${MASK}@db/app`],
    ['GOMEMLIMIT', '400MiB', '400MiB'],
  ];
  for (const [name, value, shown] of cases) t.equal(maskVariable(name, value), shown, `${name}=${value}`);
  t.same(maskEnv({ A_TOKEN: 'x', MEMSHIM_MEMORY_LIMIT_BYTES: '1024' }), {
    A_TOKEN: MASK,
    MEMSHIM_MEMORY_LIMIT_BYTES: '1024',
  });
});

t.test('free text keeps its spacing', async (t) => {
  t.equal(
    maskText('the user gave -Dtrust.password=x  and -Xmx1g'),
    `the user gave -Dtrust.password=${MASK}  and -Xmx1g`,
  );
  t.equal(maskText(''), '');
});
