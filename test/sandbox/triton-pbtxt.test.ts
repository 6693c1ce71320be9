import { parseTritonArgs } from '../../sandbox/triton/index.js';
import { MODEL_CONFIG, parsePbtxt, PbtxtError, type MessageSchema } from '../../sandbox/triton/pbtxt.js';

const FT_CONFIG = `# The author's Bloom config, trimmed
name: "fastertransformer"
backend: "fastertransformer"
default_model_filename: "bloom"
max_batch_size: 1024
model_transaction_policy {
  decoupled: False
}
input [
  {
    name: "input_ids"
    data_type: TYPE_UINT32
    dims: [ -1 ]
  },
  {
    name: "input_lengths"
    data_type: TYPE_UINT32
    dims: [ 1 ]
    reshape: { shape: [ ] }
  },
  {
    name: "random_seed"
    data_type: TYPE_UINT64
    dims: [ 1 ]
    reshape: { shape: [ ] }
    optional: true
  }
]
output [
  { name: "output_ids" data_type: TYPE_UINT32 dims: [ -1, -1 ] }
]
instance_group [{ count: 1, kind : KIND_CPU }]
parameters { key: "tensor_para_size" value: { string_value: "2" } }
parameters {
  key: "model_checkpoint_path"
  value: { string_value: "/mnt/model/bloom-7b1-ft/2-gpu/" }
}
`;

describe('protobuf text format parser', () => {
  it('parses a FasterTransformer config.pbtxt', () => {
    const c = parsePbtxt(FT_CONFIG, MODEL_CONFIG);
    expect(c.name).toBe('fastertransformer');
    expect(c.max_batch_size).toBe(1024);
    expect(c.model_transaction_policy).toEqual({ decoupled: false });
    expect(c.input).toEqual([
      { name: 'input_ids', data_type: 'TYPE_UINT32', dims: [-1] },
      { name: 'input_lengths', data_type: 'TYPE_UINT32', dims: [1], reshape: { shape: [] } },
      { name: 'random_seed', data_type: 'TYPE_UINT64', dims: [1], reshape: { shape: [] }, optional: true }
    ]);
    expect(c.output).toEqual([{ name: 'output_ids', data_type: 'TYPE_UINT32', dims: [-1, -1] }]);
    expect(c.instance_group).toEqual([{ count: 1, kind: 'KIND_CPU' }]);
    expect(c.parameters).toEqual([
      { key: 'tensor_para_size', value: { string_value: '2' } },
      { key: 'model_checkpoint_path', value: { string_value: '/mnt/model/bloom-7b1-ft/2-gpu/' } }
    ]);
  });

  const S: MessageSchema = {
    name: 'test.M',
    fields: {
      s: { kind: 'string' },
      i: { kind: 'int' },
      u: { kind: 'uint' },
      f: { kind: 'float', repeated: true },
      b: { kind: 'bool' },
      e: { kind: { enum: ['ZERO', 'ONE'] } },
      r: { kind: 'int', repeated: true },
      m: { kind: { message: { name: 'test.N', fields: { x: { kind: 'int' } } } }, repeated: true }
    }
  };

  it.each<[string, Record<string, unknown>]>([
    [`s: "a\\"b\\n\\t\\\\\\x41\\101\\u00e9" 'c' "d"`, { s: 'a"b\n\t\\AAéc' + 'd' }],
    ['i: -12; u: 0x1F, r: 1 r: [2, 3] r: []', { i: -12, u: 31, r: [1, 2, 3] }],
    ['f: [1.5, -2e3, .5, 3f, inf, -inf]', { f: [1.5, -2000, 0.5, 3, Infinity, -Infinity] }],
    ['b: true e: ONE', { b: true, e: 'ONE' }],
    ['b: 0 e: 0', { b: false, e: 'ZERO' }],
    ['i: 010', { i: 8 }],
    ['m { x: 1 } m: < x: 2 > m [ { x: 3 }, { } ]', { m: [{ x: 1 }, { x: 2 }, { x: 3 }, {}] }],
    ['# only a comment\n', {}],
    ['s: "x" # trailing comment', { s: 'x' }]
  ])('parses %j', (src, want) => {
    expect(parsePbtxt(src, S)).toEqual(want);
  });

  it.each<[string, string]>([
    ['nope: 1', '1:1: Message type "test.M" has no field named "nope".'],
    ['s: 1', '1:4: Expected string, got: 1'],
    ['i: "1"', '1:4: Expected integer, got: "1"'],
    ['i: 1.5', '1:4: Expected integer, got: 1.5'],
    ['u: -1', '1:4: Expected integer, got: -1'],
    ['e: TWO', '1:4: Unknown enumeration value of "TWO" for field "e".'],
    ['b: yes', '1:4: Invalid value for boolean field "b". Value: "yes".'],
    ['s: "a" s: "b"', '1:8: Non-repeated field "s" is specified multiple times.'],
    ['m { x: 1', '1:9: Expected "}", found "end of input".'],
    ['m { x: 1 ]', '1:10: Expected identifier, got: ]'],
    ['s "a"', '1:3: Expected ":", found ""a"".'],
    ['s: "abc', '1:4: Unexpected end of string.'],
    ['s: "a\\qb"', '1:6: Invalid escape sequence in string literal.'],
    ['r: [1, 2', '1:9: Expected "]", found "end of input".'],
    ['\n\n  i: 1 @', '3:8: Unexpected character "@".'],
    ['i: 12abc', '1:4: Invalid number: "12abc"']
  ])('rejects %j', (src, msg) => {
    let err: unknown;
    try {
      parsePbtxt(src, S);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PbtxtError);
    expect((err as Error).message).toBe(msg);
  });
});

describe('tritonserver command line', () => {
  it.each<[string[], Record<string, unknown>]>([
    [
      ['--model-repository=/mnt/r', '--http-port=8000', '--grpc-port=8001', '--allow-metrics=true'],
      { modelRepository: '/mnt/r', allowMetrics: true, exitOnError: true }
    ],
    [
      ['tritonserver', '--model-store', '/m', '--http-port', '9000', '--exit-on-error=false'],
      { modelRepository: '/m', httpPort: 9000, exitOnError: false }
    ],
    [
      [
        'sh',
        '-c',
        'tritonserver --http-port=8000 --grpc-port=8001 --metrics-port=8002 --allow-metrics=true --model-repository=/mnt/x\n'
      ],
      { modelRepository: '/mnt/x', metricsPort: 8002 }
    ],
    [['--model-repository=/mnt/my models', '--http-port=8000'], { modelRepository: '/mnt/my models' }],
    [['tritonserver --model-repository=/r --http-port=1'], { modelRepository: '/r', httpPort: 1 }]
  ])('parses %j', (argv, want) => {
    expect(parseTritonArgs(argv)).toMatchObject(want);
  });

  it.each<[string[], string]>([
    [['--model-repository=/m', '--frobnicate=1'], "tritonserver: unrecognized option '--frobnicate'"],
    [['--model-repository'], "tritonserver: option '--model-repository' requires an argument"],
    [['--allow-metrics=maybe'], 'invalid value for --allow-metrics: maybe'],
    [['--http-port=70000'], 'invalid value for --http-port: 70000']
  ])('rejects %j', (argv, msg) => {
    expect(() => parseTritonArgs(argv)).toThrow(msg);
  });
});
