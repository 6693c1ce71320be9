import { parseConvertArgs, usage } from '../../sandbox/converter/argparse.js';
import { configIni, convertParameterName, pyFloat, runBloomConverter } from '../../sandbox/converter/bloom.js';
import { floatToHalf, halfToFloat, permute, pyShape, split } from '../../sandbox/converter/tensors.js';
import { parseShell } from '../../sandbox/operator/shell.js';
import { Scheduler } from '../../sandbox/operator/scheduler.js';

describe('sh -c word splitting', () => {
  it.each([
    ['python a.py -i /mnt/x', [['python', 'a.py', '-i', '/mnt/x']]],
    [`python 'a b.py' "-o" "/mnt/with space"`, [['python', 'a b.py', '-o', '/mnt/with space']]],
    ['echo a\\ b "c\\"d" \'e\\f\'', [['echo', 'a b', 'c"d', 'e\\f']]],
    ['echo $HOME ${HOME}x "$HOME" \'$HOME\'', [['echo', '/root', '/rootx', '/root', '$HOME']]],
    ['cd /mnt && python x.py; echo done || true', [['cd', '/mnt'], ['python', 'x.py'], ['echo', 'done'], ['true']]],
    ['echo ""', [['echo', '']]],
    ['  python  \\\n  x.py # a comment', [['python', 'x.py']]]
  ])('%s', (src, argvs) => {
    expect(parseShell(src, { HOME: '/root' }).map((c) => c.argv)).toEqual(argvs);
  });

  it('keeps the list operators', () => {
    expect(parseShell('a && b || c; d').map((c) => c.then)).toEqual(['&&', '||', ';', undefined]);
  });

  it.each([`echo 'open`, 'echo "open', 'a | b', 'a &&'])('rejects %s', (src) => {
    expect(() => parseShell(src)).toThrow(/Syntax error/);
  });
});

describe('converter argparse', () => {
  const prog = 'huggingface_bloom_convert.py';
  it('parses the seed command with defaults in declaration order', () => {
    const r = parseConvertArgs(prog, ['-i', '/mnt/a', '-o', '/mnt/b', '-tp', '2', '-dt', 'fp16', '-p', '64', '-v']);
    expect(r).toEqual({
      ok: true,
      args: {
        input_dir: '/mnt/a',
        output_dir: '/mnt/b',
        tensor_para_size: 2,
        data_type: 'fp16',
        processes: 64,
        verbose: true,
        by_shard: false
      }
    });
    expect(Object.keys((r as { args: object }).args)).toEqual([
      'input_dir',
      'output_dir',
      'tensor_para_size',
      'data_type',
      'processes',
      'verbose',
      'by_shard'
    ]);
  });

  it.each([
    [
      ['--input-dir=/a', '--out', '/b', '-tp2', '--by-shard'],
      { input_dir: '/a', output_dir: '/b', tensor_para_size: 2, by_shard: true }
    ],
    [['-i/a', '-o', '/b', '--tensor', '4', '-s'], { input_dir: '/a', tensor_para_size: 4, by_shard: true }]
  ])('accepts %j', (argv, expected) => {
    const r = parseConvertArgs(prog, argv);
    expect(r.ok && r.args).toMatchObject(expected);
  });

  it.each([
    [['-o', '/b'], 'the following arguments are required: -i/--input-dir'],
    [[], 'the following arguments are required: -i/--input-dir, -o/--output-dir'],
    [['-i', '/a', '-o', '/b', '--bogus', 'x'], 'unrecognized arguments: --bogus x'],
    [['-i', '/a', '-o', '/b', '-tp', 'two'], "argument -tp/--tensor-para-size: invalid int value: 'two'"],
    [
      ['-i', '/a', '-o', '/b', '-dt', 'bf16'],
      "argument -dt/--data-type: invalid choice: 'bf16' (choose from 'fp32', 'fp16')"
    ],
    [['-i', '-o', '/b'], 'argument -i/--input-dir: expected one argument']
  ])('rejects %j', (argv, msg) => {
    expect(parseConvertArgs(prog, argv)).toEqual({
      ok: false,
      exitCode: 2,
      stderr: `${usage(prog)}${prog}: error: ${msg}\n`
    });
  });

  it('wraps the usage line like argparse at 78 columns', () => {
    expect(usage(prog)).toBe(
      'usage: huggingface_bloom_convert.py [-h] -i DIR -o DIR [-tp N] [-dt STR]\n                                    [-p N] [-v] [-s]\n'
    );
    expect(usage('c.py')).toBe('usage: c.py [-h] -i DIR -o DIR [-tp N] [-dt STR] [-p N] [-v] [-s]\n');
  });

  it('prints help and exits 0 on -h', () => {
    const r = parseConvertArgs(prog, ['-h']);
    expect(r).toMatchObject({ ok: false, exitCode: 0 });
    expect((r as { stdout: string }).stdout).toContain('-tp N, --tensor-para-size N');
  });
});

describe('converter pieces', () => {
  it.each([
    [0, 0x0000],
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [65520, 0x7c00],
    [1e-8, 0x0000],
    [2 ** -24, 0x0001],
    [0.1, 0x2e66],
    [1 + 2 ** -11, 0x3c00], // a tie rounds to even
    [1 + 3 * 2 ** -11, 0x3c02],
    [Infinity, 0x7c00]
  ])('float16 of %d', (v, bits) => {
    expect(floatToHalf(v)).toBe(bits);
  });

  it('round-trips every finite half', () => {
    for (let h = 0; h < 0x7c00; h += 7) expect(floatToHalf(halfToFloat(h))).toBe(h);
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
  });

  it('renames HF Bloom parameters like the script', () => {
    expect(convertParameterName('transformer.h.3.self_attention.query_key_value.weight')).toBe(
      'model.layers.3.attention.query_key_value.weight'
    );
    expect(convertParameterName('h.0.mlp.dense_h_to_4h.bias')).toBe('model.layers.0.mlp.dense_h_to_4h.bias');
    expect(convertParameterName('word_embeddings.weight')).toBe('model.wte');
    expect(convertParameterName('word_embeddings_layernorm.bias')).toBe('model.pre_decoder_layernorm.bias');
    expect(convertParameterName('ln_f.weight')).toBe('model.final_layernorm.weight');
  });

  it('splits and permutes in C order like numpy', () => {
    const t = { shape: [2, 4], data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]) };
    expect(split(t, 2, -1).map((p) => [...p.data])).toEqual([
      [0, 1, 4, 5],
      [2, 3, 6, 7]
    ]);
    expect(split(t, 2, 0).map((p) => [...p.data])).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7]
    ]);
    expect([...permute(t, [1, 0]).data]).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
    expect(() => split(t, 3, -1)).toThrow('array split does not result in an equal division');
    expect(pyShape([4096])).toBe('(4096,)');
    expect(pyShape([64, 3, 32])).toBe('(64, 3, 32)');
  });

  it.each([
    [1e-5, '1e-05'],
    [0.001, '0.001'],
    [1, '1.0'],
    [1.5e-12, '1.5e-12'],
    [0.0001, '0.0001']
  ])('python float repr of %d', (v, s) => {
    expect(pyFloat(v)).toBe(s);
  });

  it('writes config.ini as configparser does', () => {
    const ini = configIni(
      {
        name_or_path: '/mnt/m',
        n_layer: 30,
        n_head: 32,
        hidden_size: 4096,
        vocab_size: 250880,
        layer_norm_epsilon: 1e-5,
        bos_token_id: 1,
        eos_token_id: 2,
        post_layernorm: false
      },
      {
        input_dir: '/mnt/m',
        output_dir: '/o',
        tensor_para_size: 2,
        data_type: 'fp16',
        processes: 1,
        verbose: false,
        by_shard: false
      }
    );
    expect(ini).toContain('[gpt]\nmodel_name=/mnt/m\nnum_layer=30\nhead_num=32\ninter_size=16384\nsize_per_head=128\n');
    expect(ini.endsWith('start_id=1\nend_id=2\n\n')).toBe(true);
  });

  it('reports a config.json that is not JSON as transformers does', async () => {
    const lines: string[] = [];
    const code = await runBloomConverter({
      argv: ['/ft/huggingface_bloom_convert.py', '-i', '/mnt/m', '-o', '/mnt/o'],
      fs: {
        listDir: async (d) => (d === '/mnt/m' ? ['config.json'] : undefined),
        readFile: async () => Buffer.from('{oops'),
        writeFile: async () => undefined
      },
      log: (l) => lines.push(l)
    });
    expect(code).toBe(1);
    expect(lines.at(-1)).toBe(
      "OSError: It looks like the config file at '/mnt/m/config.json' is not a valid JSON file."
    );
    expect(lines).toContain('Traceback (most recent call last):');
    // without -v the per-tensor lines are debug output and stay hidden
    expect(lines.some((l) => l.startsWith(' - model.'))).toBe(false);
  });
});

describe('scheduler wording', () => {
  it('counts reasons per node, sorted, with the preemption sentence', () => {
    const s = new Scheduler([
      { name: 'a', gpus: 2 },
      { name: 'b', gpus: 2, labels: { pool: 'x' } },
      { name: 'c', gpus: 0 }
    ]);
    expect(s.schedule('p1', 2, undefined)).toMatchObject({ ok: true });
    expect(s.schedule('p2', 1, { pool: 'y' })).toEqual({
      ok: false,
      message:
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    });
    expect(s.schedule('p3', 2, { pool: 'x' })).toMatchObject({ ok: true, node: { name: 'b' } });
    expect(s.schedule('p4', 1, undefined)).toEqual({
      ok: false,
      message:
        '0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.'
    });
    s.release('p1');
    expect(s.schedule('p4', 1, undefined)).toMatchObject({ ok: true, node: { name: 'a' } });
  });
});
