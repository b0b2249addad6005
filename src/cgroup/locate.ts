// Where a process's cgroup is, per controller, as a directory on disk. Found from /proc/PID/cgroup (the path)
// and /proc/PID/mountinfo (where each hierarchy is mounted, and which of its directories the mount shows as its
// top: the root field), never from fixed paths, so it works for v1, v2 and hybrid hosts, Docker's bind-mounted
// `/docker/<id>`, cgroup namespaces (`0::/`), and a namespace unshared without a remount (root `/../..`).
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { CgroupLocation, ReadWarning } from './types.js';
import { readFileText } from './files.js';
import { parseMountInfo, parseProcCgroup, type CgroupLine, type MountInfo } from './parse.js';

export const NO_LOCATION: CgroupLocation = Object.freeze({
  version: null,
  memoryPath: null,
  cpuPath: null,
  cpusetPath: null,
  memoryMountRoot: null,
  cpuMountRoot: null,
  cpusetMountRoot: null,
  cpuacctPath: null,
});

/** One controller found: its directory, and the mount point its ancestors are walked up to. */
interface Found {
  dir: string;
  mountRoot: string;
  version: 1 | 2;
}

/** The directories scanned at most when a namespace root has to be searched for (root `/../..`). */
const SEARCH_LIMIT = 5000;

/**
 * Resolve each controller's directory for `pid` ('self' or a number) under `procfs` and `sysfs`. Problems
 * (missing or malformed /proc files, a path not under its mount) are pushed onto `warnings`; never throws.
 */
export function locateCgroup(
  procfs: string,
  sysfs: string,
  pid: number | 'self' = 'self',
  warnings: ReadWarning[] = [],
): CgroupLocation {
  const procDir = join(procfs, String(pid));
  const cgroupFile = join(procDir, 'cgroup');
  const mountinfoFile = join(procDir, 'mountinfo');
  const cgroupText = readFileText(cgroupFile);
  const mountText = readFileText(mountinfoFile);
  const fallback = "no cgroup: the host's memory and CPUs are the limits";
  if (!cgroupText.ok) {
    warnings.push({ file: cgroupFile, message: cgroupText.reason, fallback });
    return { ...NO_LOCATION };
  }
  if (!mountText.ok) {
    warnings.push({ file: mountinfoFile, message: mountText.reason, fallback });
    return { ...NO_LOCATION };
  }
  const lines = parseProcCgroup(cgroupText.text);
  const mounts = parseMountInfo(mountText.text).filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2');
  if (lines.length === 0) {
    warnings.push({ file: cgroupFile, message: 'no cgroup lines in it', fallback });
    return { ...NO_LOCATION };
  }
  const context: Context = { sysfs, lines, mounts, warnings, mountinfoFile, pidInProcs: pidAsSeen(procDir, pid) };
  const unified = findUnified(context);
  const find = (controller: string): Found | null =>
    existing(
      context,
      controller,
      findV1(context, controller) ?? (unified?.controllers.has(controller) ? unified.found : null),
    );
  const memory = find('memory');
  const cpu = find('cpu');
  const cpuset = find('cpuset');
  const cpuacct = findV1(context, 'cpuacct');
  if (memory === null) {
    // A container started without /sys/fs/cgroup mounted, or a kernel without the memory controller.
    warnings.push({
      file: mountinfoFile,
      message: 'no memory cgroup is mounted for this process',
      fallback: "the host's memory is the ceiling",
    });
  }
  const version = memory?.version ?? cpu?.version ?? (unified?.controllers.size ? 2 : null);
  return {
    version,
    memoryPath: memory?.dir ?? null,
    cpuPath: cpu?.dir ?? null,
    cpusetPath: cpuset?.dir ?? null,
    memoryMountRoot: memory?.mountRoot ?? null,
    cpuMountRoot: cpu?.mountRoot ?? null,
    cpusetMountRoot: cpuset?.mountRoot ?? null,
    cpuacctPath: cpuacct?.dir ?? null,
  };
}

interface Context {
  sysfs: string;
  lines: CgroupLine[];
  mounts: MountInfo[];
  warnings: ReadWarning[];
  mountinfoFile: string;
  /** The pid as cgroup.procs lists it, to recognise our cgroup when a namespace root must be searched for. */
  pidInProcs: number | null;
}

/** The directories from `dir` up to `mountRoot`, both included; just `dir` when it is not under `mountRoot`. */
export function ancestors(dir: string, mountRoot: string | null): string[] {
  if (mountRoot === null) return [dir];
  const rel = relative(mountRoot, dir);
  if (rel.startsWith('..') || resolve(mountRoot, rel) !== resolve(dir)) return [dir];
  const dirs = [dir];
  let current = dir;
  while (resolve(current) !== resolve(mountRoot)) {
    current = dirname(current);
    dirs.push(current);
  }
  return dirs;
}

/** Mount points under /sys resolve under --sysfs; others under --sysfs's parent (the captured or foreign root). */
export function resolveMountPoint(mountPoint: string, sysfs: string): string {
  if (mountPoint === '/sys' || mountPoint.startsWith('/sys/'))
    return resolve(sysfs, `.${mountPoint.slice('/sys'.length)}`);
  return resolve(dirname(resolve(sysfs)), `.${mountPoint}`);
}

function findV1(context: Context, controller: string): Found | null {
  const line = context.lines.find((l) => l.hierarchyId !== 0 && l.controllers.includes(controller));
  if (!line) return null;
  const candidates = context.mounts.filter((m) => m.fsType === 'cgroup' && m.superOptions.includes(controller));
  if (candidates.length === 0) return null;
  return resolveInMount(context, pickMount(candidates, line.path), line.path, 1);
}

function findUnified(context: Context): { found: Found | null; controllers: Set<string> } | null {
  const line = context.lines.find((l) => l.hierarchyId === 0 && l.controllers.length === 0);
  const candidates = context.mounts.filter((m) => m.fsType === 'cgroup2');
  if (!line || candidates.length === 0) return null;
  const found = resolveInMount(context, pickMount(candidates, line.path), line.path, 2);
  if (!found) return null;
  // The controllers this hierarchy has: none on a hybrid host's unified mount. A capture without the file: assume all.
  const listed = readFileText(join(found.mountRoot, 'cgroup.controllers'));
  const assumed = isDirectory(found.mountRoot) ? ['memory', 'cpu', 'cpuset'] : [];
  const controllers = new Set(listed.ok ? listed.text.split(/\s+/).filter(Boolean) : assumed);
  return { found, controllers };
}

/** Several mounts of one hierarchy (bind mounts): the one whose root holds the path, preferring /sys/fs/cgroup. */
function pickMount(candidates: MountInfo[], path: string): MountInfo {
  const score = (m: MountInfo) => (isUnder(path, m.root) ? 2 : 0) + (m.mountPoint.startsWith('/sys/fs/cgroup') ? 1 : 0);
  return candidates.reduce((best, m) => (score(m) > score(best) ? m : best));
}

/** Whether `path` lies at or below the mount's root, without climbing out of it through `..`. */
function isUnder(path: string, root: string): boolean {
  if (path === root) return true;
  const rest = root === '/' ? path : path.startsWith(`${root}/`) ? path.slice(root.length) : null;
  return rest !== null && !rest.split('/').includes('..');
}

function resolveInMount(context: Context, mount: MountInfo, path: string, version: 1 | 2): Found | null {
  const mountRoot = resolveMountPoint(mount.mountPoint, context.sysfs);
  const warn = (message: string) =>
    context.warnings.push({
      file: context.mountinfoFile,
      message: `${mount.mountPoint} (root ${mount.root}): ${message}`,
      fallback: `the mount point ${mountRoot} is read as this process's cgroup`,
    });
  let dir: string;
  if (isUnder(path, mount.root)) {
    dir = resolve(mountRoot, `.${mount.root === '/' ? path : path.slice(mount.root.length)}`);
  } else if (/^\/\.\.(\/\.\.)*$/.test(mount.root)) {
    // A cgroup namespace made without remounting: the mount's top lies N levels above the namespace root,
    // whose name we are not told. Search that depth for the directory that lists this process.
    const searched = searchNamespaceRoot(mountRoot, mount.root.split('/').length - 1, path, context.pidInProcs);
    if (searched === null) {
      warn(`cgroup path ${path} lies under an unknown directory ${mount.root} above the namespace; not found`);
      dir = mountRoot;
    } else dir = searched;
  } else {
    warn(`cgroup path ${path} is not under the mount's root`);
    dir = mountRoot;
  }
  return { dir, mountRoot, version };
}

/** The controller's directory if it exists; else its mount point, or nothing when that is missing too. */
function existing(context: Context, controller: string, found: Found | null): Found | null {
  if (found === null || isDirectory(found.dir)) return found;
  if (found.dir !== found.mountRoot && isDirectory(found.mountRoot)) {
    context.warnings.push({
      file: found.dir,
      message: `the ${controller} cgroup directory does not exist`,
      fallback: `the mount point ${found.mountRoot} is read instead`,
    });
    return { ...found, dir: found.mountRoot };
  }
  context.warnings.push({
    file: found.dir,
    message: `the ${controller} cgroup directory does not exist`,
    fallback: `the ${controller} controller is not read`,
  });
  return null;
}

function searchNamespaceRoot(mountRoot: string, depth: number, path: string, pid: number | null): string | null {
  let level = [mountRoot];
  let budget = SEARCH_LIMIT;
  for (let d = 0; d < depth; d++) {
    const next: string[] = [];
    for (const dir of level) {
      for (const name of listDirs(dir)) {
        if (budget-- <= 0) return null;
        next.push(join(dir, name));
      }
    }
    level = next;
  }
  const holding = level.map((root) => resolve(root, `.${path}`)).filter(isDirectory);
  if (pid !== null) {
    const mine = holding.find((dir) => readProcs(dir).includes(pid));
    if (mine) return mine;
  }
  return holding.length === 1 ? holding[0]! : null;
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

function readProcs(dir: string): number[] {
  const text = readFileText(join(dir, 'cgroup.procs'));
  return text.ok ? text.text.split('\n').filter(Boolean).map(Number) : [];
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The pid as this procfs numbers it (a captured tree may hold proc/self/stat); cgroup.procs lists the same. */
function pidAsSeen(procDir: string, pid: number | 'self'): number | null {
  if (pid !== 'self') return pid;
  const stat = readFileText(join(procDir, 'stat'));
  const value = stat.ok ? Number(stat.text.split(' ')[0]) : NaN;
  return Number.isInteger(value) && value > 0 ? value : null;
}
