/**
 * The cleanup handlers the post step knows. Each adapter registers its own with `registerCleanupHandler(kind, fn)`
 * in a module that has no other side effects; that module is imported here so the post bundle carries it.
 */
import { rm } from 'node:fs/promises';
import { registerCleanupHandler } from './cleanup.js';

registerCleanupHandler('file', async (record) => {
  await rm(record.path, { force: true, recursive: true });
});

// Adapters' handler modules ('multipart-upload', 'pytorchjob', 'serving') are imported here as they land, e.g.:
// import '../oss/cleanup.js';
