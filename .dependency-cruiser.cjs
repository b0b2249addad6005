// The layer rule of docs/architecture.md, checked by `npm run lint` (depcruise). A module imports only modules of
// its own layer or of a lower one, and no import cycle exists (type-only imports count: they are part of the
// design even when the compiler erases them).
//
//   base:      src/common/ (shared leaf modules), src/native/ (libc through koffi; may use common/)
//   cgroup:    src/cgroup/      read the limits
//   runtimes:  src/runtimes/    decide (pure)
//   supervisor:src/supervisor/  act
//   monitor:   src/monitor/     watch
//   health:    src/health/      report
//   commands:  src/commands/    compose the layers: run, status, sidecar
//   entry:     src/cli.ts, src/cli/, src/main.ts
const LAYERS = [
  ['common', '^src/common/'],
  ['native', '^src/native/'],
  ['cgroup', '^src/cgroup/'],
  ['runtimes', '^src/runtimes/'],
  ['supervisor', '^src/supervisor/'],
  ['monitor', '^src/monitor/'],
  ['health', '^src/health/'],
  ['commands', '^src/commands/'],
  ['entry', '^src/([^/]+\\.ts$|cli/)'],
];

const layerRules = LAYERS.slice(0, -1).map(([name, path], i) => ({
  name: `layer-${name}`,
  severity: 'error',
  comment: `${name} may import only ${LAYERS.slice(0, i + 1).map(([n]) => n).join(', ')} (docs/architecture.md)`,
  from: { path },
  to: { path: LAYERS.slice(i + 1).map(([, p]) => `(${p})`).join('|') },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle means two modules are one: merge them, or move what both need one layer down.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-to-tests',
      severity: 'error',
      comment: 'The program never imports tests, benches or scripts.',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'] },
    // `declare`d bundle constants and `typeof import('koffi')` are not files to follow.
    exclude: { path: '^(dist|node_modules)/' },
  },
};
