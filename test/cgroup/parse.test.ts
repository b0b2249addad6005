// The pure parsers: tables of what real kernels write (and what they should never be fooled by), then fast-check
// feeding random and malformed text to every one of them: nothing throws, and what comes back is well formed.
import t from 'tap';
import fc from 'fast-check';
import {
  countCpuList,
  keyValue,
  parseCfsQuota,
  parseCpuMax,
  parseCpusAllowed,
  parseKeyValues,
  parseLimit,
  parseMemTotal,
  parseMountInfo,
  parseProcCgroup,
  parsePsi,
  parseUint,
  unescapeMountField,
} from '../../src/cgroup/parse.js';
import { ancestors, resolveMountPoint } from '../../src/cgroup/locate.js';

t.test('mountinfo: optional fields, the " - " separator, escapes, the root field', async (t) => {
  const text = [
    '36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue',
    '699 696 0:32 /docker/abc /sys/fs/cgroup/memory ro,nosuid shared:5 master:18 - cgroup cgroup rw,memory',
    '700 696 0:33 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct',
    '41 31 0:38 /../.. /sys/fs/cgroup/with\\040space rw,relatime - cgroup2 cgroup2 rw',
    '42 31 0:39 / /tab\\011and\\134backslash rw - tmpfs tmpfs rw',
    '',
    'garbage',
    '1 2 3:4 / /x rw - ', // no fstype
    '1 2 3:4 relative /x rw - ext4 /dev/x rw', // root not absolute
  ].join('\n');
  const mounts = parseMountInfo(text);
  t.same(
    mounts.map((m) => [m.root, m.mountPoint, m.fsType, m.superOptions]),
    [
      ['/mnt1', '/mnt2', 'ext3', ['rw', 'errors=continue']],
      ['/docker/abc', '/sys/fs/cgroup/memory', 'cgroup', ['rw', 'memory']],
      ['/', '/sys/fs/cgroup/cpu,cpuacct', 'cgroup', ['rw', 'cpu', 'cpuacct']],
      ['/../..', '/sys/fs/cgroup/with space', 'cgroup2', ['rw']],
      ['/', '/tab\tand\\backslash', 'tmpfs', ['rw']],
    ],
  );
  t.equal(unescapeMountField('a\\040b\\012c'), 'a b\nc');
});

t.test(
  '/proc/PID/cgroup: three fields, joined controllers, name=systemd, the v2 line, colons in the path',
  async (t) => {
    const lines = parseProcCgroup(
      '12:name=systemd:/docker/x\n5:cpu,cpuacct:/docker/x\n0::/\n3:cpuset:/a:b\nnonsense\n7:memory:relative\n\n',
    );
    t.same(lines, [
      { hierarchyId: 12, controllers: ['name=systemd'], path: '/docker/x' },
      { hierarchyId: 5, controllers: ['cpu', 'cpuacct'], path: '/docker/x' },
      { hierarchyId: 0, controllers: [], path: '/' },
      { hierarchyId: 3, controllers: ['cpuset'], path: '/a:b' },
    ]);
  },
);

t.test('limits and sentinels', async (t) => {
  const table: [string, ReturnType<typeof parseLimit>][] = [
    ['536870912\n', { kind: 'value', value: 536870912 }],
    ['max\n', { kind: 'unlimited' }],
    ['9223372036854771712\n', { kind: 'unlimited' }], // v1, 4 KiB pages
    ['9223372036854710272', { kind: 'unlimited' }], // v1, 64 KiB pages
    ['-1', { kind: 'unlimited' }],
    ['0', { kind: 'value', value: 0 }],
    ['lots', null],
    ['', null],
    ['12.5', null],
    ['-5', null],
    ['99999999999999999999999', null],
  ];
  for (const [text, want] of table) t.same(parseLimit(text), want, JSON.stringify(text));
  t.same(parseCfsQuota('-1\n'), { kind: 'unlimited' });
  t.same(parseCfsQuota('50000\n'), { kind: 'value', value: 50000 });
  t.equal(parseCfsQuota('-2'), null);
  t.equal(parseUint(' 42\n'), 42);
  t.equal(parseUint('4 2'), null);
});

t.test('cpu.max: two fields, max, a single field, a zero period, junk', async (t) => {
  const table: [string, ReturnType<typeof parseCpuMax>][] = [
    ['150000 100000\n', { quotaUs: 150000, periodUs: 100000 }],
    ['max 100000\n', { quotaUs: null, periodUs: 100000 }],
    ['max', { quotaUs: null, periodUs: null }],
    ['150000', { quotaUs: 150000, periodUs: null }],
    ['50000 0', { quotaUs: 50000, periodUs: 0 }],
    ['', null],
    ['x y', null],
    ['1 2 3', null],
    ['-1 100000', null],
  ];
  for (const [text, want] of table) t.same(parseCpuMax(text), want, JSON.stringify(text));
});

t.test('cpuset lists and Cpus_allowed_list', async (t) => {
  const table: [string, number | null][] = [
    ['0-3,8,10-11\n', 7],
    ['0', 1],
    ['0-15', 16],
    ['2-3,3', 2],
    ['', null],
    ['\n', null],
    ['3-1', null],
    ['a-b', null],
    ['0-3,', null],
  ];
  for (const [text, want] of table) t.equal(countCpuList(text), want, JSON.stringify(text));
  t.equal(parseCpusAllowed('Name:\tx\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed_list:\t0\n'), 2);
  t.equal(parseCpusAllowed('Name:\tx\n'), null);
});

t.test('key-value files, PSI, MemTotal', async (t) => {
  const stat = parseKeyValues(
    'cache 0\nhierarchical_memory_limit 9223372036854771712\ntotal_inactive_file 8192\nbad line here\nneg -1\n',
  );
  t.equal(stat.get('total_inactive_file'), 8192);
  t.equal(stat.get('neg'), -1);
  t.equal(stat.has('bad'), false);
  const text = 'cache 0\ninactive_file 10\ntotal_inactive_file 8192\n inactive_file\t20 \nbad line here\nneg -1';
  const lookups: [string, number | null][] = [
    ['inactive_file', 20], // the last line that holds it wins, as in the map; not total_inactive_file's
    ['total_inactive_file', 8192],
    ['neg', -1],
    ['bad', null],
    ['cache', 0],
    ['file', null],
    ['absent', null],
  ];
  for (const [key, want] of lookups) t.equal(keyValue(text, key), want, key);
  t.same(
    parsePsi('some avg10=1.50 avg60=0.75 avg300=0.10 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=7\n'),
    {
      some: { avg10: 1.5, avg60: 0.75, avg300: 0.1, total: 123456 },
      full: { avg10: 0, avg60: 0, avg300: 0, total: 7 },
    },
  );
  t.same(parsePsi('some avg10=x avg60=0 avg300=0 total=0\n'), { some: null, full: null });
  t.equal(parseMemTotal('MemTotal:       24683656 kB\nMemFree: 1 kB\n'), 25276063744);
  t.equal(parseMemTotal('MemFree: 1 kB\n'), null);
});

t.test('mount points resolve under --sysfs; ancestors stop at the mount point', async (t) => {
  t.equal(resolveMountPoint('/sys/fs/cgroup/memory', '/tmp/tree/sys'), '/tmp/tree/sys/fs/cgroup/memory');
  t.equal(resolveMountPoint('/sys/fs/cgroup', '/sys'), '/sys/fs/cgroup');
  t.equal(resolveMountPoint('/cgroup/memory', '/proc/7/root/sys'), '/proc/7/root/cgroup/memory');
  t.same(ancestors('/m/a/b', '/m'), ['/m/a/b', '/m/a', '/m']);
  t.same(ancestors('/m', '/m'), ['/m']);
  t.same(ancestors('/other/a', '/m'), ['/other/a']);
  t.same(ancestors('/m/a', null), ['/m/a']);
});

// Text that looks like the real files: their words, digits, separators, and junk between them.
const fileish = fc
  .array(
    fc.oneof(
      fc.string(),
      fc.constantFrom(
        'max',
        '-1',
        '0',
        '9223372036854771712',
        ' - ',
        ':',
        '::',
        ',',
        '\n',
        ' ',
        '\\040',
        '/',
        '/..',
        'some',
        'full',
        'avg10=',
        'total=',
        'MemTotal:',
        'kB',
        'Cpus_allowed_list:',
        '-',
        'cgroup2',
        'cgroup',
        'memory',
      ),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

t.test('property: one key looked up answers what the whole map says of it', async (t) => {
  const keys = fc.constantFrom('inactive_file', 'total_inactive_file', 'oom_kill', 'max', 'some', '-', '0', 'a b');
  const lines = fc.array(
    fc.oneof(
      keys.chain((key) => fc.tuple(fc.constantFrom('', ' ', '\t'), fc.constant(key), fileish).map((p) => p.join(''))),
      keys.map((key) => `${key} 1`),
      fileish,
    ),
    { maxLength: 12 },
  );
  fc.assert(
    fc.property(lines, keys, (parts, key) => {
      const text = parts.join('\n');
      return keyValue(text, key) === (parseKeyValues(text).get(key) ?? null);
    }),
    { numRuns: 3000 },
  );
  t.pass('3000 random texts');
});

t.test('property: no parser throws on any text, and answers are well formed', async (t) => {
  fc.assert(
    fc.property(fc.oneof(fileish, fc.string({ unit: 'binary' })), (text) => {
      for (const m of parseMountInfo(text)) if (!m.root.startsWith('/') || !m.mountPoint.startsWith('/')) return false;
      for (const l of parseProcCgroup(text))
        if (!l.path.startsWith('/') || !Number.isInteger(l.hierarchyId)) return false;
      const limit = parseLimit(text);
      if (limit?.kind === 'value' && !(Number.isSafeInteger(limit.value) && limit.value >= 0)) return false;
      const quota = parseCfsQuota(text);
      if (quota?.kind === 'value' && !(Number.isSafeInteger(quota.value) && quota.value >= 0)) return false;
      const max = parseCpuMax(text);
      if (max && ((max.quotaUs !== null && max.quotaUs < 0) || (max.periodUs !== null && max.periodUs < 0)))
        return false;
      const count = countCpuList(text);
      if (count !== null && !(Number.isInteger(count) && count > 0)) return false;
      for (const value of parseKeyValues(text).values()) if (!Number.isFinite(value)) return false;
      const psi = parsePsi(text);
      for (const line of [psi.some, psi.full])
        if (line && ![line.avg10, line.avg60, line.avg300, line.total].every(Number.isFinite)) return false;
      const mem = parseMemTotal(text);
      if (mem !== null && !(Number.isSafeInteger(mem) && mem > 0)) return false;
      parseCpusAllowed(text);
      parseUint(text);
      unescapeMountField(text);
      return true;
    }),
    { numRuns: 3000 },
  );
  t.pass('3000 random texts per parser');
});

t.test('property: a cpuset list built from ranges counts the distinct CPUs in it', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(256), fc.nat(16)), { minLength: 1, maxLength: 12 }), (ranges) => {
      const text = ranges.map(([from, width]) => (width === 0 ? String(from) : `${from}-${from + width}`)).join(',');
      const cpus = new Set(ranges.flatMap(([from, width]) => Array.from({ length: width + 1 }, (_, i) => from + i)));
      return countCpuList(text) === cpus.size;
    }),
  );
  t.pass('counts match');
});

t.test('property: a well-formed mountinfo line survives any optional fields and escaped names', async (t) => {
  const name = fc.stringMatching(/^[a-z0-9 ,:\t\\]{1,12}$/);
  const escape = (s: string) => s.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  fc.assert(
    fc.property(
      name,
      name,
      fc.array(fc.stringMatching(/^(shared|master|propagate_from):\d{1,3}$/), { maxLength: 3 }),
      (root, point, optional) => {
        const line = `41 31 0:38 /${escape(root)} /${escape(point)} rw,relatime ${[...optional, ''].join(' ')}- cgroup2 cgroup2 rw,nsdelegate`;
        const [mount] = parseMountInfo(line);
        return (
          mount !== undefined &&
          mount.root === `/${root}` &&
          mount.mountPoint === `/${point}` &&
          mount.fsType === 'cgroup2'
        );
      },
    ),
  );
  t.pass('round trip');
});
