// The plan's rlimits (--python-memory-cap) hold in the supervised child from its first instruction, in both
// packagings: memshim starts itself as its exec helper (src/supervisor/rlimits.ts), which sets them and execs
// the command in place through the code of --exec. What the command gets is what it would get without the
// helper: argv and the environment byte for byte (issue 9 item 4), its NODE_OPTIONS (which the helper's own
// Node never runs with), and, when it cannot be run, one line and 127/126.
import t from 'tap';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BINARY, BINARY_SKIP, ensureBinary } from '../helpers/binary.js';
import { cProgram } from '../helpers/c-program.js';
import { runMemshim } from '../helpers/memshim.js';
import { shRaw } from '../helpers/sh-raw.js';

/** How each packaging is started from sh (shRaw): $MEMSHIM is bin/memshim, $MEMSHIM_BIN dist/memshim. */
const PACKAGINGS = [
  { name: 'npm', memshim: '"$MEMSHIM"', skip: false as const },
  { name: 'single executable', memshim: '"$MEMSHIM_BIN"', skip: BINARY_SKIP },
];

const CAP = '--log-level warn --no-monitor --memory 512Mi --python-memory-cap';

function run(script: string, env: NodeJS.ProcessEnv = process.env) {
  return shRaw(script, { ...env, MEMSHIM_BIN: BINARY });
}

const dir = mkdtempSync(join(tmpdir(), 'memshim-rlimits-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** The limits memshim plans for python3 in 512 MiB, from --dry-run. */
function plannedLimits(): Record<string, number> {
  const ran = runMemshim(['--dry-run', '--json', '--memory', '512Mi', '--python-memory-cap', '--', 'python3']);
  const report = JSON.parse(ran.stdout) as { rlimits: { resource: string; bytes: number }[] };
  return Object.fromEntries(report.rlimits.map((limit) => [limit.resource, limit.bytes]));
}

for (const packaging of PACKAGINGS) {
  t.test(
    `${packaging.name}: the limits hold from the command's first instruction`,
    { skip: packaging.skip },
    async (t) => {
      if (packaging.name !== 'npm') ensureBinary();
      const planned = plannedLimits();
      t.ok(planned.RLIMIT_DATA! > 0 && planned.RLIMIT_STACK! > 0, 'the plan has RLIMIT_DATA and RLIMIT_STACK');
      // A static program named python3, so the planner treats it as Python.
      const python = join(dir, `${packaging.name.replace(/ /g, '-')}-bin`, 'python3');
      mkdirSync(join(python, '..'));
      symlinkSync(cProgram('rlimit-probe'), python);
      const ran = run(`echo $$; exec ${packaging.memshim} ${CAP} -- ${python}`);
      t.equal(ran.code, 0, ran.stderr);
      const [memshimPid, probe] = ran.stdout.toString().split('\n');
      const [data, stack, parent] = (probe ?? '').split(' ').map(Number);
      t.equal(data, planned.RLIMIT_DATA, 'RLIMIT_DATA as planned when the program began');
      t.equal(stack, planned.RLIMIT_STACK, 'RLIMIT_STACK as planned when the program began');
      t.equal(parent, Number(memshimPid), "the command is memshim's own child (the helper exec'd in place)");
      t.equal(ran.stderr, '', `nothing said (${ran.stderr.slice(0, 300)})`);
    },
  );

  t.test(
    `${packaging.name}: argv, the environment and NODE_OPTIONS reach the command byte for byte`,
    { skip: packaging.skip },
    async (t) => {
      if (packaging.name !== 'npm') ensureBinary();
      // Would say so if it ran in the helper's Node: NODE_OPTIONS is the command's, never the helper's.
      const hook = join(dir, 'hook.cjs');
      writeFileSync(
        hook,
        "if (process.argv.includes('--exec-helper')) process.stderr.write('hook in the helper\\n');\n",
      );
      const show =
        'import os, sys; out = sys.stdout.buffer; ' +
        "out.write(b'|'.join([os.fsencode(sys.argv[1]), os.environb[b'X'], os.environb[b'NODE_OPTIONS']]))";
      const ran = run(
        `X="$(printf 'a\\377b')" NODE_OPTIONS="--require=${hook} --conditions=$(printf 'n\\376o')" ` +
          `exec ${packaging.memshim} ${CAP} -- python3 -c "${show}" "$(printf 'c\\375d')"`,
      );
      t.equal(ran.code, 0, ran.stderr);
      t.same(
        [...ran.stdout],
        [...Buffer.from(`c\xfdd|a\xffb|--require=${hook} --conditions=n\xfeo`, 'latin1')],
        '$1, $X and NODE_OPTIONS as given',
      );
      t.notMatch(ran.stderr, /hook in the helper/, "the helper's Node ran without NODE_OPTIONS");
    },
  );

  t.test(
    `${packaging.name}: a command that cannot be run: one line, 127 or 126`,
    { skip: packaging.skip },
    async (t) => {
      if (packaging.name !== 'npm') ensureBinary();
      const missing = run(`exec ${packaging.memshim} ${CAP} -- ${dir}/nowhere/python3`);
      t.equal(missing.code, 127, missing.stderr);
      t.equal(
        missing.stderr,
        `memshim: ${dir}/nowhere/python3: command not found (no such file or directory)\n`,
        `one line, what is missing (${missing.stderr.slice(0, 300)})`,
      );
      mkdirSync(join(dir, `${packaging.name.replace(/ /g, '-')}-dir`, 'python3'), { recursive: true });
      const directory = run(
        `exec ${packaging.memshim} ${CAP} -- ${dir}/${packaging.name.replace(/ /g, '-')}-dir/python3`,
      );
      t.equal(directory.code, 126, directory.stderr);
      t.equal(
        directory.stderr,
        `memshim: ${dir}/${packaging.name.replace(/ /g, '-')}-dir/python3: cannot execute (is a directory)\n`,
        `one line, what cannot be run (${directory.stderr.slice(0, 300)})`,
      );
    },
  );

  t.test(
    `${packaging.name}: start after start under the limits, the command runs every time`,
    { skip: packaging.skip },
    async (t) => {
      if (packaging.name !== 'npm') ensureBinary();
      // The helper's Node once aborted now and then ("Committing semi space failed") when V8 collected between the
      // limits and the execve (src/supervisor/exec.ts, prepareLimits): a matter of timing, so many starts.
      const python = join(dir, `${packaging.name.replace(/ /g, '-')}-again`, 'python3');
      mkdirSync(join(python, '..'));
      symlinkSync('/bin/true', python);
      const codes: number[] = [];
      let stderr = '';
      for (let i = 0; i < 16; i++) {
        const ran = run(`exec ${packaging.memshim} ${CAP} -- ${python}`);
        codes.push(ran.code ?? -1);
        if (ran.code !== 0) stderr ||= ran.stderr.slice(0, 300);
      }
      t.same(codes, Array(16).fill(0), stderr);
    },
  );

  t.test(
    `${packaging.name}: a file that is no program, with the limits set: 126 and one line (supervised and --exec)`,
    { skip: packaging.skip },
    async (t) => {
      if (packaging.name !== 'npm') ensureBinary();
      // Found and executable, so the limits are set before the execve fails (ENOEXEC): the exec puts them back
      // before memshim says why, or its own Node could not live with them.
      const python = join(dir, `${packaging.name.replace(/ /g, '-')}-text`, 'python3');
      mkdirSync(join(python, '..'));
      writeFileSync(python, 'not a program\n');
      chmodSync(python, 0o755);
      for (const mode of ['', '--exec']) {
        const ran = run(`exec ${packaging.memshim} ${CAP} ${mode} -- ${python}`);
        t.equal(ran.code, 126, `${mode || 'supervised'}: 126`);
        const lines = ran.stderr.split('\n').filter(Boolean);
        t.equal(lines.length, 1, `${mode || 'supervised'}: one line (${ran.stderr.slice(0, 300)})`);
        t.match(
          lines[0],
          `${python}: cannot execute (exec format error)`,
          `${mode || 'supervised'}: why (${lines[0]})`,
        );
      }
    },
  );
}
