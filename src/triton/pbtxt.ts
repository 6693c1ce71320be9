/**
 * Protobuf text format, as much of it as a Triton `config.pbtxt` uses: a writer for the builder and a small
 * parser so tests (and the deploy stage, comparing an existing repository) can read it back.
 */

export type PbValue = string | number | boolean | PbEnum | PbMessage;
export class PbEnum {
  constructor(readonly name: string) {}
}
/** A message: field name → values in order (repeated fields have several). */
export type PbMessage = { [field: string]: PbValue[] };

export function pbEnum(name: string): PbEnum {
  return new PbEnum(name);
}

function scalar(v: string | number | boolean | PbEnum): string {
  if (v instanceof PbEnum) return v.name;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/** Writes a message, two-space indented, repeated fields as `name [ ... ]` lists when they hold messages. */
export function writePbtxt(msg: PbMessage, indent = ''): string {
  const out: string[] = [];
  for (const [field, values] of Object.entries(msg)) {
    const messages = values.filter((v): v is PbMessage => isMessage(v));
    if (messages.length > 1 || (messages.length === 1 && REPEATED_AS_LIST.has(field))) {
      const body = messages.map((m) => `${indent}  {\n${writePbtxt(m, indent + '    ')}${indent}  }`).join(',\n');
      out.push(`${indent}${field} [\n${body}\n${indent}]\n`);
      continue;
    }
    if (LIST_SCALARS.has(field) && messages.length === 0) {
      out.push(
        `${indent}${field}: [ ${values.map((v) => scalar(v as string | number | boolean | PbEnum)).join(', ')} ]\n`.replace(
          '[  ]',
          '[ ]'
        )
      );
      continue;
    }
    for (const v of values) {
      if (isMessage(v)) out.push(`${indent}${field} {\n${writePbtxt(v, indent + '  ')}${indent}}\n`);
      else out.push(`${indent}${field}: ${scalar(v)}\n`);
    }
  }
  return out.join('');
}

const REPEATED_AS_LIST = new Set(['input', 'output', 'instance_group']);
/** Repeated scalars written as one list (`dims: [ -1, -1 ]`), also when empty. */
const LIST_SCALARS = new Set(['dims', 'shape']);

function isMessage(v: PbValue): v is PbMessage {
  return typeof v === 'object' && !(v instanceof PbEnum);
}

/** Parses protobuf text into the same shape (numbers as numbers, identifiers as PbEnum, booleans). */
export function parsePbtxt(text: string): PbMessage {
  const toks = tokenize(text);
  let i = 0;
  const peek = () => toks[i];
  const next = () => {
    const t = toks[i++];
    if (t === undefined) throw new Error('config.pbtxt: unexpected end of input');
    return t;
  };
  const expect = (s: string) => {
    const t = next();
    if (t !== s) throw new Error(`config.pbtxt: expected "${s}", got "${t}"`);
  };
  const value = (): PbValue => {
    const t = next();
    if (t === '{' || t === '<') return message(t === '{' ? '}' : '>');
    if (t.startsWith('"') || t.startsWith("'"))
      return JSON.parse(t.startsWith("'") ? `"${t.slice(1, -1).replace(/"/g, '\\"')}"` : t) as string;
    if (/^-?(\d|\.\d)/.test(t)) return Number(t);
    if (/^(true|True)$/.test(t)) return true;
    if (/^(false|False)$/.test(t)) return false;
    return new PbEnum(t);
  };
  const message = (close?: string): PbMessage => {
    const msg: PbMessage = {};
    while (peek() !== undefined && peek() !== close) {
      const field = next();
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) throw new Error(`config.pbtxt: bad field name "${field}"`);
      if (peek() === ':') next();
      const add = (v: PbValue) => (msg[field] ??= []).push(v);
      if (peek() === '[') {
        next();
        msg[field] ??= [];
        while (peek() !== ']') {
          add(value());
          if (peek() === ',') next();
        }
        next();
      } else add(value());
      if (peek() === ',' || peek() === ';') next();
    }
    if (close !== undefined) expect(close);
    return msg;
  };
  const root = message();
  if (i !== toks.length) throw new Error(`config.pbtxt: unexpected "${toks[i]}"`);
  return root;
}

function tokenize(text: string): string[] {
  const re = /\s+|#[^\n]*|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([{}[\]<>:,;])|([^\s{}[\]<>:,;"'#]+)/gy;
  const toks: string[] = [];
  let m: RegExpExecArray | null;
  let last = 0;
  while (last < text.length && (m = re.exec(text)) !== null) {
    last = re.lastIndex;
    const t = m[1] ?? m[2] ?? m[3];
    if (t !== undefined) toks.push(t);
  }
  if (last < text.length) throw new Error(`config.pbtxt: cannot read at offset ${last}`);
  return toks;
}
