// Issue 9 item 4: memshim passes argv and the environment it does not change byte for byte. Node decodes both
// as UTF-8 (\xff becomes U+FFFD); the bytes the child gets must be the ones memshim got. A program whose path
// is not UTF-8 must run. Without koffi (node:child_process takes only strings) what is not UTF-8 cannot be
// passed: memshim says so in one warning (docs/pid1.md), and the rest still passes exactly.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cannotUnshare } from '../helpers/init.js';
import { logEvents } from '../helpers/log-lines.js';
import { shRaw } from '../helpers/sh-raw.js';

const skip = cannotUnshare();
const NUL = Buffer.from([0]);

/** The NUL-separated entries of a /proc/PID/environ or cmdline dump. */
function entries(dump: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (let i = dump.indexOf(NUL); i !== -1; i = dump.indexOf(NUL, from)) {
    out.push(dump.subarray(from, i));
    from = i + 1;
  }
  return out;
}

// $X and $1 hold bytes that are not UTF-8; `env -i` keeps the environment small and known.
const ODD = `X="$(printf 'a\\377b')" Y="$(printf '\\300\\200')" Z=plain`;
const ARG = `"$(printf 'c\\376d')"`;

t.test('argv and every variable reach the child byte for byte (koffi)', { skip }, async (t) => {
  const ran = shRaw(
    `exec env -i PATH="$PATH" ${ODD} "$(printf 'N\\377AME=v')" "$MEMSHIM" --log-level warn --no-monitor -- sh -c 'printf "%s|%s|" "$X" "$1"; cat /proc/$$/environ' sh ${ARG}`,
  );
  t.equal(ran.code, 0, ran.stderr);
  const x = ran.stdout.indexOf('|');
  const first = ran.stdout.subarray(0, x);
  const secondEnd = ran.stdout.indexOf('|', x + 1);
  t.same([...first], [...Buffer.from([0x61, 0xff, 0x62])], '$X is a\\xffb');
  t.same([...ran.stdout.subarray(x + 1, secondEnd)], [...Buffer.from([0x63, 0xfe, 0x64])], '$1 is c\\xfed');
  const environ = entries(ran.stdout.subarray(secondEnd + 1)).map((e) => e.toString('latin1'));
  for (const expected of ['X=a\xffb', 'Y=\xc0\x80', 'Z=plain', 'N\xffAME=v'])
    t.ok(environ.includes(expected), `${JSON.stringify(expected)} passed as is`);
});

t.test('a program whose path is not UTF-8 runs (koffi and --exec)', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'memshim-bytes-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const odd = Buffer.concat([Buffer.from(`${dir}/bad`), Buffer.from([0xff]), Buffer.from('dir')]);
  mkdirSync(odd);
  const prog = Buffer.concat([odd, Buffer.from('/prog')]);
  writeFileSync(prog, '#!/bin/sh\necho ran "$@"\n');
  chmodSync(prog, 0o755);
  for (const mode of ['', '--exec']) {
    const ran = shRaw(
      `exec "$MEMSHIM" --log-level warn --no-monitor ${mode} -- "${dir}/bad$(printf '\\377')dir/prog" ${ARG}`,
    );
    t.equal(ran.code, 0, `${mode || 'supervised'}: ran (${ran.stderr.slice(0, 300)})`);
    t.same([...ran.stdout], [...Buffer.from('ran c\xfed\n', 'latin1')], 'its argument too');
  }
});

t.test('the variables memshim sets are the only ones that change (koffi)', { skip }, async (t) => {
  const ran = shRaw(
    `exec env -i PATH="$PATH" ${ODD} "$MEMSHIM" --log-level info --no-monitor --memory 1Gi -- node -e 'process.stdout.write(require("fs").readFileSync("/proc/self/environ"))'`,
  );
  t.equal(ran.code, 0, ran.stderr);
  const set = (logEvents(ran.stderr, 'plan')[0]?.set as string[] | undefined) ?? [];
  t.ok(set.includes('NODE_OPTIONS'), `memshim sets NODE_OPTIONS for node (${set.join(' ')})`);
  const environ = entries(ran.stdout).map((e) => e.toString('latin1'));
  for (const expected of ['X=a\xffb', 'Y=\xc0\x80', 'Z=plain'])
    t.ok(environ.includes(expected), `${JSON.stringify(expected)} passed as is`);
});

t.test(
  'without koffi: valid UTF-8 passes exactly; what is not is said in one warning (no value in it)',
  { skip },
  async (t) => {
    const env = { ...process.env, MEMSHIM_NO_KOFFI: '1' };
    const ran = shRaw(
      `exec env -i PATH="$PATH" MEMSHIM_NO_KOFFI=1 ${ODD} "$MEMSHIM" --log-level warn --no-monitor -- sh -c 'printf "%s|%s|%s" "$Z" "$1" "$2"' sh ${ARG} 'é'`,
      env,
    );
    t.equal(ran.code, 0, ran.stderr);
    const [z, , e] = ran.stdout.toString('utf8').split('|');
    t.equal(z, 'plain');
    t.equal(e, 'é');
    const warning = logEvents(ran.stderr, 'bytes_changed')[0];
    t.ok(warning, 'one warning says that bytes that are not UTF-8 could not be passed');
    t.same(warning?.variables, ['X', 'Y'], 'names the variables');
    t.same(warning?.arguments, [4], 'and the argument positions (sh -c SCRIPT sh ARG)');
    t.notMatch(ran.stderr, /a\uFFFDb|c\uFFFDd/, 'never their values');
  },
);
