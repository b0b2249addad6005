// `node --import=./test/helpers/ts-register.mjs file.ts`: runs TypeScript from source (ts-hooks.mjs says how).
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
