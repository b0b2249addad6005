// The I/O edge on real files: a jar built with javac/jar (nested BOOT-INF/lib jar included), a shebang script,
// an ELF with Go's build information section (built with gcc), a .NET apphost layout.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatherFacts } from '../../src/runtimes/facts.js';
import { countJarClasses } from '../../src/runtimes/zip.js';

const dir = mkdtempSync(join(tmpdir(), 'memshim-facts-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function run(argv: string[], cwd = dir): void {
  const result = spawnSync(argv[0]!, argv.slice(1), { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${argv.join(' ')}: ${result.stderr}`);
}

const haveJdk = spawnSync('jar', ['--version']).status === 0 && spawnSync('javac', ['-version']).status === 0;

t.test(
  'class count of real jars: plain, -cp list, wildcard, and a Spring Boot style nested lib',
  { skip: haveJdk ? false : 'needs javac and jar' },
  async (t) => {
    // lib.jar: 3 classes (A, B and the inner A$1); stored nested in app.jar (jar -0) and deflated in app-deflated.jar.
    mkdirSync(join(dir, 'lib-src'));
    writeFileSync(
      join(dir, 'lib-src', 'A.java'),
      'public class A { Runnable r = new Runnable() { public void run() {} }; }\n',
    );
    writeFileSync(join(dir, 'lib-src', 'B.java'), 'public class B {}\n');
    run(['javac', '-d', 'lib-classes', 'lib-src/A.java', 'lib-src/B.java']);
    run(['jar', 'cf', 'lib.jar', '-C', 'lib-classes', '.']);
    // app.jar: 2 classes of its own + BOOT-INF/lib/lib.jar
    mkdirSync(join(dir, 'app-src'));
    writeFileSync(
      join(dir, 'app-src', 'Main.java'),
      'public class Main { public static void main(String[] a) { System.out.println(new Helper()); } }\nclass Helper {}\n',
    );
    run(['javac', '-d', 'app-classes', 'app-src/Main.java']);
    mkdirSync(join(dir, 'app-classes', 'BOOT-INF', 'lib'), { recursive: true });
    copyFileSync(join(dir, 'lib.jar'), join(dir, 'app-classes', 'BOOT-INF', 'lib', 'lib.jar'));
    run(['jar', 'cf0e', 'app.jar', 'Main', '-C', 'app-classes', '.']);
    run(['jar', 'cfe', 'app-deflated.jar', 'Main', '-C', 'app-classes', '.']);

    t.equal(countJarClasses(join(dir, 'lib.jar')), 3);
    t.equal(countJarClasses(join(dir, 'app.jar')), 5, 'own 2 + nested stored 3');
    t.equal(countJarClasses(join(dir, 'app-deflated.jar')), 5, 'own 2 + nested deflated 3');
    t.same(await gatherFacts(['java', '-Xmx64m', '-jar', join(dir, 'app.jar')], {}), { jarClassCount: 5 });
    t.same(
      await gatherFacts(['java', '-cp', `${join(dir, 'lib.jar')}:${join(dir, 'app-classes')}`, 'Main'], {}),
      { jarClassCount: 3 },
      'a directory on the class path is not counted',
    );
    mkdirSync(join(dir, 'libs'));
    copyFileSync(join(dir, 'lib.jar'), join(dir, 'libs', 'one.jar'));
    copyFileSync(join(dir, 'lib.jar'), join(dir, 'libs', 'two.jar'));
    t.same(
      await gatherFacts(['java', '-cp', `${join(dir, 'libs')}/*`, 'Main'], {}),
      { jarClassCount: 6 },
      'lib/* expands to its jars',
    );
    t.same(
      await gatherFacts(['java', 'Main'], { CLASSPATH: join(dir, 'lib.jar') }),
      { jarClassCount: 3 },
      'CLASSPATH when no -cp',
    );
    // The jar really runs: the count is of a jar the JVM accepts.
    t.equal(spawnSync('java', ['-jar', join(dir, 'app.jar')], { encoding: 'utf8' }).status, 0);
  },
);

t.test('a missing or broken jar leaves the count unknown instead of failing', async (t) => {
  writeFileSync(join(dir, 'broken.jar'), 'not a zip at all');
  t.same(await gatherFacts(['java', '-jar', join(dir, 'broken.jar')], {}), {});
  t.same(await gatherFacts(['java', '-jar', join(dir, 'missing.jar')], {}), {});
  t.throws(() => countJarClasses(join(dir, 'broken.jar')), /not a zip/);
});

t.test('shebang line of a script found on PATH', async (t) => {
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'serve'), '#!/usr/bin/env -S node --enable-source-maps\nconsole.log(1)\n');
  chmodSync(join(dir, 'bin', 'serve'), 0o755);
  t.same(await gatherFacts(['serve'], { PATH: `/nonexistent:${join(dir, 'bin')}` }), {
    shebang: ['/usr/bin/env', '-S', 'node', '--enable-source-maps'],
  });
  t.same(await gatherFacts(['/usr/bin/env', join(dir, 'bin', 'serve')], {}), {
    shebang: ['/usr/bin/env', '-S', 'node', '--enable-source-maps'],
  });
  t.same(await gatherFacts(['no-such-command'], { PATH: join(dir, 'bin') }), {});
});

t.test(
  'an ELF with a .go.buildinfo section is a Go binary; an apphost with a .runtimeconfig.json is .NET',
  { skip: spawnSync('gcc', ['--version']).status === 0 ? false : 'needs gcc' },
  async (t) => {
    writeFileSync(
      join(dir, 'gobin.c'),
      '__attribute__((used, section(".go.buildinfo"))) static const char info[32] = "\\xff Go buildinf:\\x08\\x02";\nint main(void) { return 0; }\n',
    );
    run(['gcc', '-o', 'gobin', 'gobin.c']);
    t.same(await gatherFacts([join(dir, 'gobin')], {}), { binaryKind: 'go' });
    // A binary larger than the head memshim reads at once: its section table lies beyond it, as in a real Go one.
    writeFileSync(
      join(dir, 'gobig.c'),
      '__attribute__((used)) static const char pad[256 * 1024] = {1};\n__attribute__((used, section(".go.buildinfo"))) static const char info[32] = "\\xff Go buildinf:\\x08\\x02";\nint main(void) { return pad[0] - 1; }\n',
    );
    run(['gcc', '-o', 'gobig', 'gobig.c']);
    t.ok(statSync(join(dir, 'gobig')).size > 256 * 1024, 'gobig is larger than 256 KiB');
    t.same(await gatherFacts([join(dir, 'gobig')], {}), { binaryKind: 'go' });
    t.same(await gatherFacts(['/bin/true'], {}), {}, 'a C binary is nothing special');
    copyFileSync('/bin/true', join(dir, 'Api'));
    chmodSync(join(dir, 'Api'), 0o755);
    writeFileSync(join(dir, 'Api.runtimeconfig.json'), '{"runtimeOptions":{}}');
    t.same(await gatherFacts([join(dir, 'Api')], {}), { binaryKind: 'dotnet' });
  },
);
