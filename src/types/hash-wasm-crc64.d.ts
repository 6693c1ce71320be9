/** hash-wasm's CRC-64 alone (its UMD build of that one function): the package index would load every algorithm. */
declare module 'hash-wasm/dist/crc64.umd.min.js' {
  import type { IHasher } from 'hash-wasm';
  const crc64Module: { createCRC64(polynomial?: string): Promise<IHasher> };
  export default crc64Module;
}
