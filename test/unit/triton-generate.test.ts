import { describe, expect, it } from '@jest/globals';
import {
  checkExpectation,
  generatedIds,
  inferInputs,
  loadTokenizer,
  metadataMismatches
} from '../../src/triton/generate.js';
import { percentile } from '../../src/util/stats.js';
import { smokeTable } from '../../src/stages/smoke.js';
import { tokenizerConfigJson, tokenizerJson } from '../../sandbox/models/tokenizer.js';

describe('generation helpers', () => {
  it('builds greedy KServe v2 inputs', () => {
    const inputs = inferInputs([5, 6, 7], 16);
    expect(inputs.find((i) => i.name === 'input_ids')).toEqual({
      name: 'input_ids',
      datatype: 'UINT32',
      shape: [1, 3],
      data: [5, 6, 7]
    });
    expect(inputs.find((i) => i.name === 'input_lengths')?.data).toEqual([3]);
    expect(inputs.find((i) => i.name === 'request_output_len')?.data).toEqual([16]);
    expect(inputs.find((i) => i.name === 'runtime_top_k')?.data).toEqual([1]);
  });

  it('takes the generated ids up to sequence_length, after the prompt', () => {
    const outputs = [
      { name: 'output_ids', datatype: 'UINT32', shape: [1, 1, 8], data: [5, 6, 7, 10, 11, 12, 0, 0] },
      { name: 'sequence_length', datatype: 'UINT32', shape: [1, 1], data: [6] }
    ];
    expect(generatedIds(outputs, 3)).toEqual([10, 11, 12]);
    expect(() => generatedIds([outputs[0]], 3)).toThrow(/sequence_length/);
  });

  it.each([
    [{ text: 'p' }, ' fine', undefined],
    [{ text: 'p' }, '  ', 'is empty'],
    [{ text: 'p' }, 'bad \uFFFD', 'U+FFFD'],
    [{ text: 'p', expect: '^ a deep' }, ' a deep learning', undefined],
    [{ text: 'p', expect: '^ a deep' }, ' something else', 'does not match']
  ])('expectation %p on %p', (p, completion, problem) => {
    const why = checkExpectation(p, completion);
    if (problem === undefined) expect(why).toBeUndefined();
    else expect(why).toContain(problem);
  });

  it('checks metadata against config.pbtxt', () => {
    const ok = {
      name: 'fastertransformer',
      inputs: [
        { name: 'input_ids', datatype: 'UINT32', shape: [-1, -1] },
        { name: 'input_lengths', datatype: 'UINT32', shape: [-1, 1] },
        { name: 'request_output_len', datatype: 'UINT32', shape: [-1, -1] }
      ],
      outputs: [
        { name: 'output_ids', datatype: 'UINT32', shape: [-1, -1, -1] },
        { name: 'sequence_length', datatype: 'UINT32', shape: [-1, -1] }
      ]
    };
    expect(metadataMismatches(ok, 'fastertransformer')).toEqual([]);
    const bad = { ...ok, inputs: [{ name: 'input_ids', datatype: 'INT32', shape: [-1] }] };
    expect(metadataMismatches(bad, 'fastertransformer')).toEqual([
      'input input_ids is INT32, expected UINT32',
      'input input_lengths is missing',
      'input request_output_len is missing'
    ]);
  });

  it.each([
    [[10], 50, 10],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 95, 4],
    [Array.from({ length: 20 }, (_, i) => i + 1), 95, 19]
  ])('percentile(%p, %p) = %p', (s, p, v) => expect(percentile(s, p)).toBe(v));

  it('round-trips text through the model’s tokenizer.json', () => {
    const codec = loadTokenizer(tokenizerJson(), tokenizerConfigJson());
    const ids = codec.encode('deepspeed is');
    expect(ids.length).toBeGreaterThan(0);
    expect(codec.decode(ids)).toBe('deepspeed is');
  });

  it('renders the summary table, escaping pipes', () => {
    expect(smokeTable([{ prompt: 'a|b', completion: 'c\nd', latencyMs: 12.4 }])).toBe(
      '| prompt | completion | latency |\n| --- | --- | ---: |\n| a\\|b | c d | 12 ms |'
    );
  });
});
