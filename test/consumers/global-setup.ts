import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packTarball } from './apps.ts';

/** Pack the built library once per run; the workers find the tarball in the environment. */
export default function globalSetup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'tabwire-pack-'));
  process.env.TABWIRE_TARBALL = packTarball(dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
