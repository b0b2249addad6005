// A real OCI runtime for the single executable: podman with runc, as Debian ships them. No registry can be
// reached, so the image is imported from a root built here: dist/memshim, the libraries `ldd` lists for it,
// Debian's static busybox (a `sleep` that dies of SIGTERM's default action) and the static probe of
// test/packaging. Everything podman keeps (images, containers, its database, its locks' state) lives in one
// temporary directory of this run, so parallel runs and other users of podman on the host never meet.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BINARY_SKIP } from './binary.js';
import { buildRootFs } from './root-fs.js';

const BUSYBOX = '/bin/busybox';
/** How long one podman command may take before the test calls it hung (image import, a container's life). */
const PODMAN_TIMEOUT_MS = 120_000;

/**
 * Why podman cannot run here, or null. Only what truly prevents it: a podman that is installed but fails is a
 * failure the tests must show, not a reason to skip.
 */
export function podmanUnsupported(): string | null {
  if (BINARY_SKIP) return BINARY_SKIP;
  if (process.getuid?.() !== 0) return 'needs root (rootful podman; rootless needs subuid ranges this host lacks)';
  const missing = ['podman', 'runc', 'gcc', 'ldd'].filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
  );
  if (spawnSync('sh', ['-c', `ldd ${BUSYBOX} 2>&1 | grep -q 'not a dynamic'`]).status !== 0)
    missing.push('busybox-static');
  if (missing.length > 0)
    return `podman cannot run here: ${missing.join(', ')} not installed (apt-get install podman runc busybox-static)`;
  return null;
}

export interface Podman {
  /** The image: ENTRYPOINT ["/memshim", "--"], as Dockerfile.example has it. */
  image: string;
  /** Runs `podman ARGS` with this run's storage and configuration; never rejects. */
  run(args: string[]): Promise<PodmanResult>;
  /** Removes every container and image of this run, then its storage. */
  remove(): Promise<void>;
}

export interface PodmanResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Builds the root, imports it as an image into a private podman storage, and gives the means to use it. */
export async function makePodman(): Promise<Podman> {
  const home = mkdtempSync(join(tmpdir(), 'memshim-podman-'));
  const conf = join(home, 'containers.conf');
  // crun refuses this cgroup v1 hybrid host; root here lacks CAP_SYS_RESOURCE, so podman's default ulimits
  // (nofile, nproc raised above the current hard limit) would fail every start.
  writeFileSync(
    conf,
    [
      '[containers]',
      'default_ulimits = []',
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      '',
    ].join('\n'),
  );
  const global = [
    '--root',
    join(home, 'storage'),
    '--runroot',
    join(home, 'run'),
    '--tmpdir',
    join(home, 'libpod'),
    '--storage-driver',
    'overlay',
  ];
  const scratch = join(home, 'tmp'); // podman import stages the layer there, not in /var/tmp
  mkdirSync(scratch);
  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: conf, TMPDIR: scratch };
  delete env.NODE_OPTIONS; // tap's loaders: nothing of it is podman's business

  const run = (args: string[], input?: Buffer): Promise<PodmanResult> =>
    new Promise((resolve) => {
      // cwd: conmon writes a file named `oom` into its working directory when the container's cgroup sees an
      // OOM kill (cgroup v1), which would otherwise land in the repository.
      const child = execFile(
        'podman',
        [...global, ...args],
        { cwd: home, env, encoding: 'utf8', timeout: PODMAN_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
          resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        },
      );
      if (input) child.stdin!.end(input);
    });

  const image = 'localhost/memshim-test:latest';
  // /memshim, its libraries, /probe (static), busybox (static) as /bin/busybox and /bin/sleep.
  const root = buildRootFs({
    files: { [BUSYBOX]: 'bin/busybox' },
    links: { 'bin/sleep': 'busybox' },
    dirs: ['proc', 'sys', 'dev', 'tmp', 'etc'],
  });
  const tar = spawnSync('tar', ['-C', root.root, '-c', '.'], { maxBuffer: 512 * 1024 * 1024 });
  root.remove();
  if (tar.status !== 0) throw new Error(`tar of the root failed: ${String(tar.stderr)}`);
  const imported = await run(['import', '--change', 'ENTRYPOINT ["/memshim", "--"]', '-', image], tar.stdout);
  if (imported.code !== 0) throw new Error(`podman import failed (${imported.code}):\n${imported.stderr}`);

  return {
    image,
    run: (args) => run(args),
    async remove() {
      await run(['rm', '--all', '--force', '--time', '0']);
      // Unmounts what the overlay driver mounted under the storage and deletes it.
      await run(['system', 'reset', '--force']);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
