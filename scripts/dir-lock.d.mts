/** See dir-lock.mjs: runs `work` holding the lock directory `lock`, waiting up to `waitMs` for another holder. */
export function withDirLock<T>(lock: string, what: string, waitMs: number, work: () => T): T;
