// Start-up timings of several commands, interleaved: each round runs every command once (hyperfine -N --runs 1, for
// its wall time and its user+sys), so a load that changes during the bench moves every command alike (20 runs of
// one command in a row, then the next, gave ratios that moved by half on a shared machine). The first
// `warmupRounds` rounds only warm the caches. `shuffle`: each round in an order of its own, so that no command
// always runs right after the same other one. Shared by bench/startup.ts, bench/binary-startup.ts and bench/ab.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Samples {
  /** Milliseconds, one per measured round. */
  wall: number[];
  cpu: number[];
}

export function interleavedRuns(
  commands: Record<string, string>,
  options: { rounds: number; warmupRounds: number; env: NodeJS.ProcessEnv; shuffle?: boolean },
): Map<string, Samples> {
  const dir = mkdtempSync(join(tmpdir(), 'memshim-bench-interleaved-'));
  const exported = join(dir, 'hyperfine.json');
  const samples = new Map<string, Samples>(Object.keys(commands).map((name) => [name, { wall: [], cpu: [] }]));
  try {
    for (let round = 0; round < options.warmupRounds + options.rounds; round++) {
      const names = Object.keys(commands);
      if (options.shuffle)
        for (let i = names.length - 1; i > 0; i--) {
          const j = Math.floor(Math.random() * (i + 1));
          [names[i], names[j]] = [names[j]!, names[i]!];
        }
      for (const name of names) {
        const command = commands[name]!;
        const args = ['-N', '--runs', '1', '--warmup', '0', '--export-json', exported, '--style', 'none', command];
        const ran = spawnSync('hyperfine', args, { env: options.env, stdio: ['ignore', 'ignore', 'inherit'] });
        if (ran.status !== 0) throw new Error(`hyperfine failed: ${command}`);
        const [result] = (
          JSON.parse(readFileSync(exported, 'utf8')) as { results: { times: number[]; user: number; system: number }[] }
        ).results;
        if (round < options.warmupRounds || !result) continue;
        samples.get(name)!.wall.push(result.times[0]! * 1000);
        samples.get(name)!.cpu.push((result.user + result.system) * 1000);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return samples;
}

// A Node binary's start depends on how its file came into the page cache: the kernel maps more than a page at a
// fault where the cache holds the file in large pieces, as reading a file in does, and a file as the build wrote it
// (or as a first exec faulted it in) is held in small ones, which makes the same build's start slower
// (docs/packaging.md, the run of 01:47 on 2026-12-02). So a bench drops the pages of each executable it sets side by
// side and reads it back in whole, as an image layer's files come in, before anything runs it: every run measures
// the same thing, and each alike. Shared by bench/startup.ts and bench/ab.ts.
export function readIntoPageCache(file: string): void {
  if (spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']).status !== 0)
    console.error(`could not drop ${file}'s cached pages: its start is measured as the page cache holds it`);
  spawnSync('cat', [file], { stdio: ['ignore', 'ignore', 'inherit'] });
}
