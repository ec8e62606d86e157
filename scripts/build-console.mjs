// Builds the web console (console/) into dist/ui: one bundled, minified app.js (Preact, no CDN), app.css
// and index.html. Run by `npm run build`; `sigil serve` and `sigil console serve` serve the result at /ui/.
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'ui');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: {
    app: join(root, 'console', 'src', 'main.tsx'),
    'app-style': join(root, 'console', 'src', 'style.css'),
  },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'linked',
  logLevel: 'warning',
});
// esbuild names a CSS entry's output after the entry; the page links app.css.
copyFileSync(join(out, 'app-style.css'), join(out, 'app.css'));
rmSync(join(out, 'app-style.css'));
copyFileSync(join(root, 'console', 'index.html'), join(out, 'index.html'));
const size = (name) => statSync(join(out, name)).size;
process.stdout.write(`console: dist/ui app.js ${size('app.js')} B, app.css ${size('app.css')} B\n`);
