/** Jest globalTeardown: removes the temp root that setup.mjs made (with everything the tests left in it). */
import { rmSync } from 'node:fs';
import { ROOT_VAR } from './setup.mjs';

export default function hermeticTeardown() {
  const root = process.env[ROOT_VAR];
  if (root) rmSync(root, { recursive: true, force: true, maxRetries: 3 });
}
