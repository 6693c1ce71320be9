/**
 * Protocol-buffer text format, as Triton reads `config.pbtxt` (google::protobuf::TextFormat):
 * `field: value`, `field { … }` / `field: { … }` / `field < … >`, repeated fields given several times or as a
 * `[a, b]` list (of scalars or messages), enums as identifiers, strings with C escapes (adjacent literals
 * concatenate), integers (decimal, hex, octal), floats (exponent, `f` suffix, inf/nan), `#` comments, and
 * optional `,`/`;` separators. Parsing is checked against a schema (a subset of inference.ModelConfig) the way
 * protobuf does: unknown fields, wrong value kinds, unknown enum values and repeated singular fields are errors.
 */

export class PbtxtError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly detail: string
  ) {
    super(`${line}:${column}: ${detail}`);
  }
}

export type FieldKind =
  | 'string'
  | 'int'
  | 'uint'
  | 'float'
  | 'bool'
  | { enum: readonly string[] }
  | { message: MessageSchema }
  | { map: FieldKind };

export interface FieldSchema {
  kind: FieldKind;
  repeated?: boolean;
  /** Member of this oneof: a second member in the same message is an error, as in protobuf. */
  oneof?: string;
}

export interface MessageSchema {
  name: string;
  fields: Record<string, FieldSchema>;
}

export type PbValue = string | number | boolean | PbMessage | PbValue[];
export interface PbMessage {
  [field: string]: PbValue;
}

interface Token {
  kind: 'ident' | 'number' | 'string' | 'punct' | 'eof';
  text: string;
  value?: string;
  line: number;
  column: number;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v' };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const err = (msg: string, at = i): never => {
    throw new PbtxtError(line, at - lineStart + 1, msg);
  };
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    const column = i - lineStart + 1;
    if (c === '"' || c === "'") {
      const start = i++;
      let value = '';
      for (;;) {
        if (i >= src.length || src[i] === '\n') err('Unexpected end of string.', start);
        const ch = src[i++];
        if (ch === c) break;
        if (ch !== '\\') {
          value += ch;
          continue;
        }
        const e = src[i++];
        if (e === undefined) err('Unexpected end of string.', start);
        if (ESCAPES[e]) value += ESCAPES[e];
        else if (e === '\\' || e === '"' || e === "'" || e === '?') value += e;
        else if (e === 'x' || e === 'X') {
          const m = /^[0-9a-fA-F]{1,2}/.exec(src.slice(i));
          if (!m) err('Invalid escape sequence in string literal.', i - 2);
          value += String.fromCharCode(parseInt(m![0], 16));
          i += m![0].length;
        } else if (/[0-7]/.test(e)) {
          const m = /^[0-7]{1,3}/.exec(src.slice(i - 1))!;
          value += String.fromCharCode(parseInt(m[0], 8));
          i += m[0].length - 1;
        } else if (e === 'u' || e === 'U') {
          const n = e === 'u' ? 4 : 8;
          const hex = src.slice(i, i + n);
          if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) err('Expected hex digits in \\u escape.', i - 2);
          value += String.fromCodePoint(parseInt(hex, 16));
          i += n;
        } else err('Invalid escape sequence in string literal.', i - 2);
      }
      out.push({ kind: 'string', text: src.slice(start, i), value, line, column });
      continue;
    }
    const num = /^-?(0[xX][0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fF]?)/.exec(src.slice(i));
    if (num && (c !== '-' || /[\d.]/.test(src[i + 1] ?? ''))) {
      if (/[A-Za-z_]/.test(src[i + num[0].length] ?? ''))
        err(`Invalid number: "${src.slice(i).split(/[\s,;\]}>]/)[0]}"`);
      out.push({ kind: 'number', text: num[0], line, column });
      i += num[0].length;
      continue;
    }
    const id = /^-?[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ kind: 'ident', text: id[0], line, column });
      i += id[0].length;
      continue;
    }
    if ('{}<>[]:,;'.includes(c)) {
      out.push({ kind: 'punct', text: c, line, column });
      i++;
      continue;
    }
    err(`Unexpected character "${c}".`);
  }
  out.push({ kind: 'eof', text: '', line, column: i - lineStart + 1 });
  return out;
}

function parseNumber(text: string): number {
  if (/^-?0[xX]/.test(text)) return (text.startsWith('-') ? -1 : 1) * parseInt(text.replace(/^-?0[xX]/, ''), 16);
  const t = text.replace(/[fF]$/, '');
  if (/^-?0[0-7]+$/.test(t)) return (t.startsWith('-') ? -1 : 1) * parseInt(t.replace(/^-?0/, ''), 8);
  return Number(t);
}

class Parser {
  private pos = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token {
    return this.toks[this.pos];
  }
  private next(): Token {
    return this.toks[this.pos++];
  }
  private fail(t: Token, msg: string): never {
    throw new PbtxtError(t.line, t.column, msg);
  }
  private show(t: Token): string {
    return t.kind === 'eof' ? 'end of input' : t.text;
  }
  private accept(p: string): boolean {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === p) {
      this.pos++;
      return true;
    }
    return false;
  }
  private expect(p: string): void {
    const t = this.peek();
    if (!this.accept(p)) this.fail(t, `Expected "${p}", found "${this.show(t)}".`);
  }

  parseMessage(schema: MessageSchema, close?: string): PbMessage {
    const msg: PbMessage = {};
    const oneofs = new Map<string, string>();
    for (;;) {
      const t = this.peek();
      if (close ? t.kind === 'punct' && t.text === close : t.kind === 'eof') {
        this.pos++;
        return msg;
      }
      if (t.kind === 'eof') this.fail(t, `Expected "${close}", found "end of input".`);
      if (t.kind !== 'ident') this.fail(t, `Expected identifier, got: ${t.text}`);
      this.pos++;
      const field = schema.fields[t.text];
      if (!field) this.fail(t, `Message type "${schema.name}" has no field named "${t.text}".`);
      const other = field.oneof === undefined ? undefined : oneofs.get(field.oneof);
      if (other !== undefined && other !== t.text) {
        this.fail(
          t,
          `Field "${t.text}" is specified along with field "${other}", another member of oneof "${field.oneof}".`
        );
      }
      if (field.oneof !== undefined) oneofs.set(field.oneof, t.text);
      const isMsg = typeof field.kind === 'object' && !('enum' in field.kind);
      const colon = this.accept(':');
      if (!colon && !isMsg) this.fail(this.peek(), `Expected ":", found "${this.show(this.peek())}".`);
      const values: PbValue[] = [];
      if (this.accept('[')) {
        if (!field.repeated) this.fail(t, `Non-repeated field "${t.text}" is specified multiple times.`);
        if (!this.accept(']')) {
          do values.push(this.parseValue(field.kind, t.text));
          while (this.accept(','));
          this.expect(']');
        }
      } else values.push(this.parseValue(field.kind, t.text));
      if (field.repeated) msg[t.text] = [...((msg[t.text] as PbValue[] | undefined) ?? []), ...values];
      else {
        if (t.text in msg) this.fail(t, `Non-repeated field "${t.text}" is specified multiple times.`);
        msg[t.text] = values[0];
      }
      if (!this.accept(',')) this.accept(';');
    }
  }

  private parseValue(kind: FieldKind, field: string): PbValue {
    const t = this.peek();
    if (typeof kind === 'object' && ('message' in kind || 'map' in kind)) {
      const open = t.kind === 'punct' && (t.text === '{' || t.text === '<') ? t.text : undefined;
      if (!open) this.fail(t, `Expected "{", found "${this.show(t)}".`);
      this.pos++;
      const schema: MessageSchema =
        'message' in kind
          ? kind.message
          : { name: `${field}Entry`, fields: { key: { kind: 'string' }, value: { kind: kind.map } } };
      return this.parseMessage(schema, open === '{' ? '}' : '>');
    }
    this.pos++;
    if (kind === 'string') {
      if (t.kind !== 'string') this.fail(t, `Expected string, got: ${this.show(t)}`);
      let v = t.value!;
      while (this.peek().kind === 'string') v += this.next().value!;
      return v;
    }
    if (kind === 'bool') {
      if (/^(true|True|t|1)$/.test(t.text)) return true;
      if (/^(false|False|f|0)$/.test(t.text)) return false;
      this.fail(t, `Invalid value for boolean field "${field}". Value: "${t.text}".`);
    }
    if (kind === 'int' || kind === 'uint') {
      if (t.kind !== 'number' || !/^-?(0[xX][0-9a-fA-F]+|\d+)$/.test(t.text))
        this.fail(t, `Expected integer, got: ${this.show(t)}`);
      const n = parseNumber(t.text);
      if (kind === 'uint' && n < 0) this.fail(t, `Expected integer, got: ${t.text}`);
      return n;
    }
    if (kind === 'float') {
      if (t.kind === 'ident' && /^-?(inf|infinity|nan)$/i.test(t.text))
        return /nan/i.test(t.text) ? NaN : t.text.startsWith('-') ? -Infinity : Infinity;
      if (t.kind !== 'number') this.fail(t, `Expected double, got: ${this.show(t)}`);
      return parseNumber(t.text);
    }
    const allowed = (kind as { enum: readonly string[] }).enum;
    if (t.kind === 'number' && /^\d+$/.test(t.text) && Number(t.text) < allowed.length) return allowed[Number(t.text)];
    if (t.kind !== 'ident') this.fail(t, `Expected identifier, got: ${this.show(t)}`);
    if (!allowed.includes(t.text)) this.fail(t, `Unknown enumeration value of "${t.text}" for field "${field}".`);
    return t.text;
  }
}

/** Parse text-format protobuf against a schema; throws PbtxtError (line:column: detail) like TextFormat. */
export function parsePbtxt(src: string, schema: MessageSchema): PbMessage {
  return new Parser(tokenize(src)).parseMessage(schema);
}

/** inference.ModelConfig as Triton 22.03 has it (model-config-schema.ts). */
export { MODEL_CONFIG_22_03 as MODEL_CONFIG } from './model-config-schema.js';
