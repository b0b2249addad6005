import type { SidecarConfig } from '../config.js';
export async function sidecarCommand(_config: SidecarConfig): Promise<number> {
  throw new Error('memshim sidecar: not built yet (issue 5)');
}
