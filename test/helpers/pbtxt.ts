/**
 * Reads back what src/triton/pbtxt.ts writes, in the same shape (numbers as numbers, identifiers as PbEnum,
 * booleans), for the builder's tests. Moved out of src/: the product never parses config.pbtxt.
 */
import { PbEnum, type PbMessage, type PbValue } from '../../src/triton/pbtxt.js';

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
