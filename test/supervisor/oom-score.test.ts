// The child, not memshim, is the OOM killer's choice: it starts with an oom_score_adj above memshim's, raised
// only around the clone and exec of the child (src/supervisor/oom-score.ts), and memshim keeps its own.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { scoreGap } from '../../src/supervisor/oom-score.js';
import { runMemshim } from '../helpers/memshim.js';

t.test('the gap: 1.5 x memshim RSS relative to the limit, within the score range', async (t) => {
  const MiB = 2 ** 20;
  for (const [limit, rss, gap] of [
    [0, 20 * MiB, 0],
    [1024 * MiB, 20 * MiB, 30],
    [64 * MiB, 20 * MiB, 469],
    [16 * MiB, 20 * MiB, 1875],
    [1 * MiB, 20 * MiB, 2000],
  ] as const) {
    t.equal(scoreGap(limit, rss), gap, `${limit / MiB} MiB limit, ${rss / MiB} MiB RSS`);
  }
});

t.test('the child starts with the raised score; memshim keeps its own', async (t) => {
  const own = Number(readFileSync('/proc/self/oom_score_adj', 'utf8'));
  // The child reads its score first thing, then memshim's while memshim supervises it.
  const ran = runMemshim([
    '--memory',
    '64M',
    '--log-level',
    'debug',
    '--',
    'sh',
    '-c',
    'cat /proc/self/oom_score_adj; sleep 0.2; cat /proc/$PPID/oom_score_adj',
  ]);
  t.equal(ran.code, 0, ran.stderr);
  const [child, memshim] = ran.stdout.trim().split('\n').map(Number);
  const line = ran.stderr.split('\n').find((l) => l.includes('"event":"oom_score_adj"'));
  t.ok(line, 'memshim says what it did');
  const said = JSON.parse(line ?? '{}') as { memshim: number; child: number; gap: number; restored: boolean };
  t.ok(said.gap > 0, `a gap of ${said.gap} in a 64 MiB container`);
  t.equal(said.memshim, own);
  t.equal(child, Math.min(1000, own + said.gap), "the child's own score, read first thing");
  t.equal(memshim, own, "memshim's score while the child runs");
  t.equal(said.restored, true);
});
