// The single executable as the ENTRYPOINT of a real OCI container, run by podman with runc as a user runs it
// with `docker run`: the limits given by --memory/--cpus reach the plan; `podman stop` ends it with 143 long
// before the stop timeout; `podman kill -s USR1` reaches the child; a memory hog ends in 137 with memshim's
// oom_kill line in `podman logs`; `memshim status --check` works as the container's health check.
// One image per run (test/helpers/podman.ts), in a private podman storage removed at the end.
import t from 'tap';
import { ensureBinary } from '../helpers/binary.js';
import { jsonLines } from '../helpers/log-lines.js';
import { makePodman, podmanUnsupported, type Podman } from '../helpers/podman.js';

const MiB = 1024 * 1024;
// Generous: these bound a hang; what they wait for happens at once when memshim works.
const HANG_GUARD_MS = 30_000;
// `podman stop --time`: after it, podman sends SIGKILL and the exit would be 137, not 143.
const STOP_TIMEOUT_S = 30;

// The whole file: an image import and about ten containers took 47-128 s here on a loaded machine, beyond the
// suite's 120 s per file; this bounds a hang, not the speed.
const FILE_TIMEOUT_MS = 300_000;

const skip = podmanUnsupported();
if (skip) {
  t.plan(0, skip);
} else {
  t.setTimeout(FILE_TIMEOUT_MS);
  ensureBinary();
  const podman = await makePodman();
  t.teardown(() => podman.remove());
  defineTests(podman);
}

function defineTests(podman: Podman): void {
  let names = 0;
  const name = (what: string): string => `memshim-${what}-${process.pid}-${names++}`;

  /** `podman logs NAME`, stdout and stderr (where memshim's JSON lines are). */
  const logs = async (container: string): Promise<{ stdout: string; stderr: string }> => {
    const result = await podman.run(['logs', container]);
    return { stdout: result.stdout, stderr: result.stderr };
  };
  const until = async (
    what: string,
    container: string,
    test: (out: { stdout: string; stderr: string }) => boolean,
  ): Promise<void> => {
    const deadline = Date.now() + HANG_GUARD_MS;
    for (;;) {
      const out = await logs(container);
      if (test(out)) return;
      if (Date.now() > deadline)
        throw new Error(
          `no ${what} in the logs of ${container} after ${HANG_GUARD_MS} ms:\n${out.stdout}\n${out.stderr}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 250)); // each look is a podman process
    }
  };
  const exitCode = async (container: string): Promise<number> => {
    const inspected = await podman.run(['inspect', '--format', '{{.State.ExitCode}}', container]);
    return Number(inspected.stdout.trim());
  };
  /** Started detached, with no network (nothing here needs one but loopback). */
  const detached = async (container: string, options: string[], command: string[]): Promise<void> => {
    const started = await podman.run([
      'run',
      '--detach',
      '--name',
      container,
      '--network',
      'none',
      ...options,
      podman.image,
      ...command,
    ]);
    if (started.code !== 0) throw new Error(`podman run failed (${started.code}):\n${started.stderr}`);
    await until('start event', container, (out) => jsonLines(out.stderr).some((event) => event.event === 'start'));
  };

  t.test('--memory and --cpus reach the plan (--dry-run --json inside the container)', async (t) => {
    const ran = await podman.run([
      'run',
      '--rm',
      '--network',
      'none',
      '--memory',
      '192m',
      '--cpus',
      '0.5',
      '--entrypoint',
      '["/memshim","--dry-run","--json","--"]',
      podman.image,
      '/probe',
      'exit',
      '0',
    ]);
    t.equal(ran.code, 0, 'exit 0', { stderr: ran.stderr });
    const report = JSON.parse(ran.stdout) as {
      limits: { memoryBytes: number; memorySource: string; cpus: number | null; cpuSource: string };
      argv: string[];
    };
    t.equal(report.limits.memoryBytes, 192 * MiB, 'the memory limit podman set');
    t.equal(report.limits.memorySource, 'cgroup', 'read from the container cgroup');
    t.equal(report.limits.cpus, 0.5, 'the CPU quota podman set');
    t.equal(report.limits.cpuSource, 'cgroup');
    t.same(report.argv, ['/probe', 'exit', '0']);

    const exit = await podman.run(['run', '--rm', '--network', 'none', podman.image, '/probe', 'exit', '7']);
    t.equal(exit.code, 7, "podman run exits with the child's code", { stderr: exit.stderr });
  });

  t.test('podman stop: SIGTERM reaches the child, 143 long before the stop timeout', async (t) => {
    const container = name('stop');
    await detached(container, [], ['/bin/sleep', '1000']);
    const started = Date.now();
    const stopped = await podman.run(['stop', '--time', String(STOP_TIMEOUT_S), container]);
    const tookMs = Date.now() - started;
    t.equal(stopped.code, 0, 'podman stop succeeded', { stderr: stopped.stderr });
    t.equal(
      await exitCode(container),
      143,
      '128 + SIGTERM: the child died of the forwarded SIGTERM, no SIGKILL needed',
    );
    t.ok(tookMs < (STOP_TIMEOUT_S * 1000) / 2, `stopped in ${tookMs} ms, well within the ${STOP_TIMEOUT_S} s timeout`);
    const events = jsonLines((await logs(container)).stderr);
    t.match(
      events.find((event) => event.event === 'child_exit'),
      { signal: 15 },
      'memshim saw its child killed by SIGTERM',
    );
  });

  t.test('podman kill -s USR1 and -s HUP reach the child', async (t) => {
    const container = name('kill');
    await detached(container, [], ['/probe', 'signals']);
    await until('the probe ready', container, (out) => /ready pid=\d+ ppid=1\b/.test(out.stdout));
    for (const signal of ['USR1', 'HUP']) {
      const killed = await podman.run(['kill', '--signal', signal, container]);
      t.equal(killed.code, 0, `podman kill -s ${signal}`, { stderr: killed.stderr });
      await until(`got SIG${signal}`, container, (out) => out.stdout.includes(`got SIG${signal}`));
      t.pass(`SIG${signal} reached the child`);
    }
    await podman.run(['stop', '--time', String(STOP_TIMEOUT_S), container]);
    t.equal(await exitCode(container), 42, "the probe's own exit code on SIGTERM comes back through podman");
  });

  t.test('a memory hog: 137, and memshim explains the OOM kill in podman logs', async (t) => {
    const container = name('oom');
    const ran = await podman.run([
      'run',
      '--name',
      container,
      '--network',
      'none',
      '--memory',
      '160m',
      '--memory-swap',
      '160m',
      podman.image,
      '/probe',
      'hog',
    ]);
    t.equal(ran.code, 137, '128 + SIGKILL', { stderr: ran.stderr });
    const oom = jsonLines((await logs(container)).stderr).find((event) => event.event === 'oom_kill');
    t.ok(oom, 'an oom_kill line in podman logs');
    t.match(oom, { main: true, command: 'probe', limitBytes: 160 * MiB }, 'naming the main child and the limit it hit');
    t.match(String(oom?.msg), /OOM-killed the main process/);
  });

  t.test('memshim status --check as the health check of the container', async (t) => {
    const container = name('health');
    // Docker's HEALTHCHECK CMD is podman's --health-cmd; `podman healthcheck run` runs it once, now.
    await detached(
      container,
      [
        '--memory',
        '256m',
        '--env',
        'MEMSHIM_HEALTH_PORT=9464',
        '--health-cmd',
        '["/memshim","status","--check"]',
        '--health-interval',
        'disable',
      ],
      ['/bin/sleep', '1000'],
    );
    await until('the health server', container, (out) =>
      jsonLines(out.stderr).some((event) => event.event === 'health_server'),
    );

    const check = await podman.run(['healthcheck', 'run', container]);
    t.equal(check.code, 0, 'podman healthcheck run: healthy', { stdout: check.stdout, stderr: check.stderr });
    const state = await podman.run(['inspect', '--format', '{{.State.Health.Status}}', container]);
    t.equal(state.stdout.trim(), 'healthy', 'podman inspect says healthy');

    const status = await podman.run(['exec', container, '/memshim', 'status', '--check', '--json']);
    t.equal(status.code, 0, 'memshim status --check inside the container: 0');
    const report = JSON.parse(status.stdout) as {
      healthy: boolean;
      source: string;
      memshimPid: number;
      child: { pid: number } | null;
      limits: { memoryBytes: number };
    };
    t.equal(report.healthy, true);
    t.equal(report.memshimPid, 1, 'answered by memshim, PID 1 of the container');
    t.equal(report.limits.memoryBytes, 256 * MiB, 'with the limit podman set');
    t.ok(report.child && report.child.pid > 1, 'and its child running');
    t.notMatch(status.stderr, /\S/, 'nothing on stderr (a health check keeps its output in podman inspect)');

    // Where no memshim answers though one is expected, the check fails instead of reading the cgroup.
    const silent = await podman.run([
      'exec',
      container,
      '/memshim',
      'status',
      '--check',
      '--url',
      'http://127.0.0.1:9',
    ]);
    t.equal(silent.code, 1, 'no memshim at the URL: unhealthy (1)');
    t.match(silent.stdout, /^UNHEALTHY: no memshim answered at http:\/\/127\.0\.0\.1:9/);

    await podman.run(['stop', '--time', String(STOP_TIMEOUT_S), container]);
    t.equal(await exitCode(container), 143);
  });
}
