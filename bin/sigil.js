#!/usr/bin/env node
// The package's entry point: the compiled CLI (built by `npm run build`, run by `npm ci` via prepare).
import '../dist/cli/main.js';
