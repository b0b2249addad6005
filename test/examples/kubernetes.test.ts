// examples/kubernetes/*.yaml as a cluster would take them: valid against the Kubernetes API's schemas with
// every field known (kubectl's strict field validation), and coherent with memshim itself: the memshim
// command lines parse with memshim's own parser, the probes point at the port memshim serves, the grace
// period covers memshim's stop delay and grace, the termination message file is the one memshim writes, and
// what memshim writes to (--state-dir, /tmp under a read-only root) is an emptyDir.
import t from 'tap';
import { readdirSync } from 'node:fs';
import type { IContainer, IPodSpec, IVolume } from 'kubernetes-models/v1';
import { main, type Dispatch } from '../../src/cli.js';
import type { RunConfig, SidecarConfig } from '../../src/commands/config.js';
import { fieldErrors, readManifests, schemaErrors, type Manifest } from './kubernetes-schema.js';

const DIR = 'examples/kubernetes';
const files = readdirSync(new URL(`../../${DIR}`, import.meta.url))
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => `${DIR}/${name}`);
const manifests = files.flatMap(readManifests);
const label = (m: Manifest): string => `${m.file} #${m.index} ${m.kind}`;

t.test('every example is valid against the Kubernetes API schema', async (t) => {
  t.ok(files.length >= 2 && manifests.length >= 3, `${files.length} files, ${manifests.length} documents`);
  for (const manifest of manifests) t.same(await schemaErrors(manifest), [], label(manifest));
});

t.test('every field is one the API knows (no typo a strict apply would reject)', async (t) => {
  for (const [manifest, errors] of fieldErrors(manifests)) t.same(errors, [], label(manifest));
});

t.test('the checks catch a wrong type and an unknown field', async (t) => {
  const broken = structuredClone(manifests.find((m) => m.kind === 'Deployment')!);
  const container = (broken.object as { spec: { template: { spec: IPodSpec } } }).spec.template.spec
    .containers[0]! as unknown as Record<string, unknown>;
  container.terminationMessagePolicy = 42;
  t.match(await schemaErrors(broken), [/terminationMessagePolicy: must be string/], 'a number where a string belongs');
  delete container.terminationMessagePolicy;
  container.terminationMesagePolicy = 'FallbackToLogsOnError';
  t.same(
    await schemaErrors(broken),
    [],
    "the JSON schema alone lets a misspelled field through (as the API's does not)",
  );
  t.match(
    fieldErrors([broken]).get(broken),
    [/^\/spec\/template\/spec\/containers\/0\/terminationMesagePolicy: .*does not exist/],
    'the field check names it, with its path',
  );
});

interface Parsed {
  code: number | undefined;
  run?: RunConfig;
  sidecar?: SidecarConfig;
}

/** memshim's own parser over a container's command line, in-process: what memshim would run with. */
async function parse(argv: string[], env: NodeJS.ProcessEnv): Promise<Parsed> {
  const parsed: Parsed = { code: undefined };
  const dispatch: Dispatch = {
    exitCode: undefined,
    run: async (config) => ((parsed.run = config), 0),
    status: async () => 0,
    sidecar: async (config) => ((parsed.sidecar = config), 0),
  };
  parsed.code = await main(argv, env, dispatch);
  return parsed;
}

/** The containers that run memshim, with memshim's argv: `command: [memshim, ...]`, or the memshim image's args. */
function memshimContainers(spec: IPodSpec): { container: IContainer; argv: string[] }[] {
  return spec.containers.flatMap((container) => {
    if (container.command?.[0] === 'memshim')
      return [{ container, argv: [...container.command.slice(1), ...(container.args ?? [])] }];
    if (!container.command && container.args?.[0] === 'sidecar') return [{ container, argv: container.args }];
    return [];
  });
}

function portNumber(container: IContainer, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function emptyDirAt(spec: IPodSpec, container: IContainer, path: string): IVolume | undefined {
  const mount = container.volumeMounts?.find((m) => m.mountPath === path);
  const volume = spec.volumes?.find((v) => v.name === mount?.name);
  return volume?.emptyDir ? volume : undefined;
}

for (const manifest of manifests.filter((m) => m.kind === 'Deployment')) {
  const spec = (manifest.object as { spec: { template: { spec: IPodSpec } } }).spec.template.spec;
  t.test(`${label(manifest)}: coherent with memshim`, async (t) => {
    const found = memshimContainers(spec);
    t.ok(found.length > 0, 'a container runs memshim');
    for (const { container, argv } of found) {
      const env = Object.fromEntries(
        (container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]),
      );
      const parsed = await parse(argv, env);
      t.equal(parsed.code, 0, `${container.name}: memshim accepts its command line`, { argv });
      const config = parsed.run ?? parsed.sidecar;
      if (!config) continue;

      // The probes on memshim's port ask memshim's endpoints; named ports exist.
      for (const [kind, probe] of [
        ['liveness', container.livenessProbe],
        ['readiness', container.readinessProbe],
        ['startup', container.startupProbe],
      ] as const) {
        if (!probe?.httpGet) continue;
        const port = portNumber(container, probe.httpGet.port);
        t.ok(
          port !== undefined,
          `${container.name}: the ${kind} probe's port ${probe.httpGet.port} is a port of the container`,
        );
        if (port === config.healthPort)
          t.ok(
            ['/healthz', '/readyz'].includes(probe.httpGet.path ?? ''),
            `${container.name}: the ${kind} probe asks ${probe.httpGet.path}, an endpoint of memshim`,
          );
      }
      if (config.healthPort !== null)
        t.ok(
          container.ports?.some((p) => p.containerPort === config.healthPort),
          `${container.name}: memshim's health port ${config.healthPort} is declared`,
        );

      // The kubelet shows the termination message file, or the log tail when it is empty.
      t.equal(
        container.terminationMessagePolicy,
        'FallbackToLogsOnError',
        `${container.name}: terminationMessagePolicy FallbackToLogsOnError`,
      );
      const terminationLog = (config as { terminationLog?: string | null }).terminationLog;
      if (typeof terminationLog === 'string' && terminationLog !== '')
        t.equal(
          terminationLog,
          container.terminationMessagePath ?? '/dev/termination-log',
          `${container.name}: memshim writes the file the kubelet reads`,
        );

      if (container.securityContext?.readOnlyRootFilesystem)
        t.ok(emptyDirAt(spec, container, '/tmp'), `${container.name}: a read-only root, and an emptyDir on /tmp`);
      const stateDir = (config as { stateDir?: string | null }).stateDir;
      if (typeof stateDir === 'string')
        t.ok(
          emptyDirAt(spec, container, stateDir),
          `${container.name}: --state-dir ${stateDir} is an emptyDir (it outlives container restarts)`,
        );

      if (parsed.run) {
        // The kubelet's SIGKILL comes terminationGracePeriodSeconds after its SIGTERM: memshim's own stop
        // (the drain delay, then the grace period before its SIGKILL) must end first.
        const stopDelayMs = (parsed.run as { stopDelayMs?: number }).stopDelayMs ?? 0;
        const needed = (stopDelayMs + parsed.run.gracePeriodMs) / 1000;
        t.ok(
          (spec.terminationGracePeriodSeconds ?? 30) > needed,
          `${container.name}: terminationGracePeriodSeconds ${spec.terminationGracePeriodSeconds ?? 30} > stop delay + grace (${needed} s)`,
        );
      }
    }
  });
}
