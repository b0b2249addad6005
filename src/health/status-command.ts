import type { StatusConfig } from '../config.js';
export async function statusCommand(_config: StatusConfig): Promise<number> {
  throw new Error('memshim status: not built yet (issue 5)');
}
