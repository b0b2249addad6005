// memshim's version: the bundles define MEMSHIM_VERSION from package.json (scripts/bundle.mjs,
// scripts/build-binary.mjs); run from source (tests, benches) it is 'dev'.
declare const MEMSHIM_VERSION: string;

export const VERSION = typeof MEMSHIM_VERSION === 'string' ? MEMSHIM_VERSION : 'dev';
