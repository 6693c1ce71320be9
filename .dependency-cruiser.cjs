/**
 * The layers of the design (README "Architecture", CONTRIBUTING "Where things live"), enforced by `npm run lint`
 * (`depcruise`), so a wrong arrow fails `bash .ci/run`:
 *
 *   entry (main, post, cli) → composition → pipeline + stages → adapters
 *   config and report beside them; errors.ts (the shared error type) and util/ (pure helpers) for everyone.
 *
 * Type-only imports count (tsPreCompilationDeps): a type is an arrow too. The two stated allowances:
 *  - adapters may import the *types* of src/config/types.ts (type-only; an adapter never reads the whole config
 *    at run time: its entry points take plain options, which the config's slices happen to fit);
 *  - the entries and report may import the *types* of src/pipeline/types.ts and runner.ts (the Logger interface
 *    and the RunReport they print), never a pipeline value.
 * test/unit/boundaries.test.ts runs these rules on a tree of deliberately wrong arrows.
 */
const ENTRY = '^src/(main|post|cli)[.]ts$|^src/cli/';
const COMPOSITION = '^src/composition/';
const PIPELINE = '^src/pipeline/';
const STAGES = '^src/(stages|model-versions|canary)/';
const ADAPTER_NAMES = 'hf|oss|k8s|arena|triton|tools|kubeconfig|git';
/** The client libraries of outside systems: only adapters (and the composition root) use them. */
const OUTSIDE_CLIENTS =
  '(^|/)node_modules/(ali-oss|@kubernetes/client-node|@actions/tool-cache|@actions/exec|@huggingface/[^/]+|ws)/';
const ADAPTERS = `^src/(${ADAPTER_NAMES})/`;
const CONFIG = '^src/config/';
const REPORT = '^src/report/';
const TYPE_ONLY = ['type-only', 'type-import'];

module.exports = {
  forbidden: [
    {
      name: 'product-imports-sandbox',
      comment: 'The product never imports the sandbox: a shared bug would cancel out (design: "The sandbox").',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^sandbox/' }
    },
    {
      name: 'sandbox-imports-product',
      comment: 'The sandbox is an independent implementation of the services: it never imports src/.',
      severity: 'error',
      from: { path: '^sandbox/' },
      to: { path: '^src/' }
    },
    {
      name: 'entry-only-through-composition',
      comment: 'main, post and the CLI get stages, adapters and cleanup from src/composition/ only.',
      severity: 'error',
      from: { path: ENTRY },
      to: { path: `${ADAPTERS}|${STAGES}|${PIPELINE}`, pathNot: '^src/pipeline/types[.]ts$' }
    },
    {
      name: 'entry-pipeline-types-only',
      comment: 'The entries may name the pipeline types (Logger, RunState), nothing else of it.',
      severity: 'error',
      from: { path: ENTRY },
      to: { path: '^src/pipeline/types[.]ts$', dependencyTypesNot: TYPE_ONLY }
    },
    {
      name: 'nothing-imports-entry',
      comment: 'Nothing below the entries imports them.',
      severity: 'error',
      from: { path: '^src/', pathNot: ENTRY },
      to: { path: ENTRY }
    },
    {
      name: 'only-entry-imports-composition',
      comment: 'Stages, pipeline, adapters, config and report receive their dependencies; they never fetch them.',
      severity: 'error',
      from: { path: '^src/', pathNot: `${ENTRY}|${COMPOSITION}` },
      to: { path: COMPOSITION }
    },
    {
      name: 'pipeline-not-stages-or-adapters',
      comment: 'The runner gets its stages (and through them the adapters) as arguments.',
      severity: 'error',
      from: { path: PIPELINE },
      to: { path: `${STAGES}|${ADAPTERS}` }
    },
    {
      name: 'stage-builds-client',
      comment:
        'Stages receive their clients (Kubernetes, OSS, hub, Triton) as arguments: they may name the client types, never construct one.',
      severity: 'error',
      from: { path: STAGES },
      to: { path: `^src/(${ADAPTER_NAMES})/client[.]ts$`, dependencyTypesNot: TYPE_ONLY }
    },
    {
      name: 'stage-uses-client-library',
      comment:
        'The pipeline and the stages reach outside systems through adapters only: no client library (ali-oss, client-node, tool-cache, exec, …) except its types.',
      severity: 'error',
      from: { path: `${STAGES}|${PIPELINE}` },
      to: { path: OUTSIDE_CLIENTS, dependencyTypesNot: TYPE_ONLY }
    },
    {
      name: 'adapter-imports-layer-above',
      comment: 'An adapter wraps one outside system: it never imports stages, the pipeline, report or config values.',
      severity: 'error',
      from: { path: ADAPTERS },
      to: { path: `${STAGES}|${PIPELINE}|${REPORT}|${CONFIG}`, pathNot: '^src/config/types[.]ts$' }
    },
    {
      name: 'adapter-config-types-only',
      comment: 'An adapter may name the config types (type-only), never read config values or load the config.',
      severity: 'error',
      from: { path: ADAPTERS },
      to: { path: '^src/config/types[.]ts$', dependencyTypesNot: TYPE_ONLY }
    },
    {
      name: 'adapter-imports-adapter',
      comment:
        'Adapters never import each other; what joins two of them is stage logic or wiring (e.g. src/stages/arena-effects.ts). Shared: src/errors.ts and src/util/.',
      severity: 'error',
      from: { path: `^src/(${ADAPTER_NAMES})/` },
      to: { path: ADAPTERS, pathNot: '^src/$1/' }
    },
    {
      name: 'config-imports-layer',
      comment: 'config turns inputs into one Config with libraries alone (plus errors.ts and util/).',
      severity: 'error',
      from: { path: CONFIG },
      to: { path: `${ADAPTERS}|${STAGES}|${PIPELINE}|${REPORT}` }
    },
    {
      name: 'report-imports-layer',
      comment: 'report renders what the run returned: no adapter, stage or pipeline value.',
      severity: 'error',
      from: { path: REPORT },
      to: { path: `${ADAPTERS}|${STAGES}` }
    },
    {
      name: 'report-pipeline-types-only',
      comment: 'report reads the RunReport and StageResult types only (formatting helpers live in util/).',
      severity: 'error',
      from: { path: REPORT },
      to: { path: PIPELINE, dependencyTypesNot: TYPE_ONLY }
    },
    {
      name: 'report-config-types-and-layout',
      comment:
        'report may name the config types and use its derived names (layout.ts, pure), never load or check the config.',
      severity: 'error',
      from: { path: REPORT },
      to: { path: CONFIG, pathNot: '^src/config/(types|layout)[.]ts$' }
    },
    {
      name: 'shared-imports-layer',
      comment: 'errors.ts and util/ are shared by every layer, so they import none of them.',
      severity: 'error',
      from: { path: '^src/errors[.]ts$|^src/util/' },
      to: { path: '^src/', pathNot: '^src/errors[.]ts$|^src/util/' }
    },
    {
      name: 'no-circular',
      comment: 'No import cycle between modules (folder-level cycles: the rules above only point one way).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true }
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      severity: 'error',
      from: { path: '^(src|sandbox)/' },
      to: { couldNotResolve: true }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|build|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] }
  }
};
