import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { checkpointPodPath, modelRepositoryLayout, modelRepositoryPodPath } from '../../src/config/layout.js';
import { buildModelConfig, modelRepositoryObjects } from '../../src/triton/model-config.js';
import { PbEnum, type PbMessage } from '../../src/triton/pbtxt.js';
import { parsePbtxt } from '../helpers/pbtxt.js';
import { testConfig } from '../helpers/config.js';

const GOLDEN = path.join(path.dirname(new URL(import.meta.url).pathname), 'golden');

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

const param = (m: PbMessage, key: string) => {
  const p = (m.parameters as PbMessage[]).find((x) => x.key[0] === key);
  return ((p?.value[0] as PbMessage).string_value[0] as string) ?? undefined;
};

describe('config.pbtxt', () => {
  const cases = [
    { file: 'config-tp1.pbtxt', cfg: testConfig() },
    {
      file: 'config-tp2-pv.pbtxt',
      cfg: testConfig({
        model: { repo: 'bigscience/bloom-7b1', revision: 'main', name: 'bloom-7b1', version: 'v2' },
        convert: { tensorParallel: 2, dataType: 'fp16' },
        serve: { gpus: 2, maxBatchSize: 1024 },
        cluster: { pvPath: '/llm', mountPath: '/mnt' }
      })
    }
  ];
  it.each(cases)('matches the golden file $file', ({ file, cfg }) =>
    golden(file, buildModelConfig(cfg, checkpointPodPath(cfg)))
  );

  it.each(cases)('parses back to the config values ($file)', ({ cfg }) => {
    const m = parsePbtxt(buildModelConfig(cfg, checkpointPodPath(cfg)));
    expect(m.name).toEqual([cfg.serve.modelName]);
    expect(m.backend).toEqual(['fastertransformer']);
    expect(m.max_batch_size).toEqual([cfg.serve.maxBatchSize]);
    expect(param(m, 'tensor_para_size')).toBe(String(cfg.convert.tensorParallel));
    expect(param(m, 'pipeline_para_size')).toBe(String(cfg.serve.pipelineParallel));
    expect(param(m, 'data_type')).toBe(cfg.convert.dataType);
    expect(param(m, 'model_checkpoint_path')).toBe(checkpointPodPath(cfg));
    const inputs = m.input as PbMessage[];
    const ids = inputs.find((i) => i.name[0] === 'input_ids')!;
    expect((ids.data_type[0] as PbEnum).name).toBe('TYPE_UINT32');
    expect(ids.dims).toEqual([-1]);
    const lens = inputs.find((i) => i.name[0] === 'input_lengths')!;
    expect(lens.reshape).toEqual([{ shape: [] }]);
    const outputs = (m.output as PbMessage[]).map((o) => o.name[0]);
    expect(outputs).toEqual(expect.arrayContaining(['output_ids', 'sequence_length']));
    expect(((m.instance_group as PbMessage[])[0].kind[0] as PbEnum).name).toBe('KIND_CPU');
  });

  it('points at the in-pod <tp>-gpu folder under the mount', () => {
    const cfg = testConfig({ convert: { tensorParallel: 2 }, cluster: { pvPath: '/llm', mountPath: '/mnt' } });
    expect(checkpointPodPath(cfg)).toBe('/mnt/bloom-560m/ft/v1/2-gpu/');
    expect(modelRepositoryPodPath(cfg)).toBe('/mnt/triton/bloom-560m-v1');
    expect(modelRepositoryObjects(cfg, modelRepositoryLayout(cfg)).map((o) => o.key)).toEqual([
      'llm/triton/bloom-560m-v1/fastertransformer/1/',
      'llm/triton/bloom-560m-v1/fastertransformer/config.pbtxt'
    ]);
  });
});

describe('parsePbtxt', () => {
  it('reads the forms Triton configs use', () => {
    const m = parsePbtxt(`# comment
name: "m"
max_batch_size: 8
model_transaction_policy { decoupled: False }
input [ { name: "a", dims: [ -1, 2 ] }, { name: 'b' } ]
parameters { key: "k" value: { string_value: "v" } }
parameters: { key: "k2" value { string_value: "v2" } }
instance_group [ { count: 1 kind: KIND_GPU } ]
`);
    expect(m.name).toEqual(['m']);
    expect(m.model_transaction_policy).toEqual([{ decoupled: [false] }]);
    expect((m.input as PbMessage[]).map((i) => i.name[0])).toEqual(['a', 'b']);
    expect((m.input as PbMessage[])[0].dims).toEqual([-1, 2]);
    expect(m.parameters).toHaveLength(2);
    expect(((m.instance_group as PbMessage[])[0].kind[0] as PbEnum).name).toBe('KIND_GPU');
  });
  it.each(['name: ', 'input [ { name: "a" }', '{ x: 1 }', 'a: "unterminated'])('rejects %p', (t) =>
    expect(() => parsePbtxt(t)).toThrow(/config.pbtxt/)
  );
});
