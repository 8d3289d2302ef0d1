// esbuild shim, injected into the CommonJS bundle by scripts/bundle.mjs (never run on its own):
// the sources use import.meta.url (createRequire, finding package.json); CommonJS has __filename.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
