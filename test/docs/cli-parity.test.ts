/**
 * docs/cli-parity.md against the real cosign v3: regenerated from both tools' --help, it must equal the
 * committed page, every cosign flag sigil lacks must have a reason in docs/cli-parity-reasons.yaml, and no
 * reason may outlive its flag. Needs the built CLI (npx tsc -p tsconfig.build.json).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  compareCommand,
  generateParityPage,
  PARITY_PAGE,
  parseCosignHelp,
  parseSigilHelp,
} from '../../scripts/cli-parity.js';
import { requirePeer } from '../helpers/peers.js';

describe('cli-parity help parsers', () => {
  it("reads cobra's flag lines and pflag's global flags, and commander's options without wrapped lines", () => {
    const cosign = [
      'Flags:',
      '    -a, --annotations=[]:',
      '\textra key=value pairs to sign',
      '',
      '    --upload=true:',
      '\twhether to upload the signature',
      '',
      '    -h, --help=false:',
      'Global Flags:',
      '      --output-file string   log output to a file',
      '  -t, --timeout duration     timeout for commands (default 3m0s)',
    ].join('\n');
    assert.deepEqual(parseCosignHelp(cosign), {
      flags: [{ long: 'annotations', short: 'a' }, { long: 'upload' }],
      global: [{ long: 'output-file' }, { long: 'timeout', short: 't' }],
    });
    const sigil = [
      'Options:',
      '  --key <key>               private key file, or',
      '                            --not-a-flag wrapped text',
      '  -y, --yes                 skip confirmation prompts',
      '  -h, --help                display help for command',
      '',
      'Examples:',
      '  --also-not-a-flag',
    ].join('\n');
    assert.deepEqual(parseSigilHelp(sigil), [{ long: 'key' }, { long: 'yes', short: 'y' }]);
  });

  it('marks a flag supported, refused with its reason (the command first, then *), or missing', () => {
    const parity = compareCommand(
      'sign',
      [{ long: 'yes', short: 'y' }, { long: 'sk' }, { long: 'slot' }, { long: 'new' }],
      [{ long: 'yes' }],
      { '*': { sk: 'no PIV', slot: 'general' }, sign: { slot: 'specific' } },
    );
    assert.deepEqual(
      parity.rows.map((r) => [r.flag.long, r.status, r.note]),
      [
        ['yes', 'supported', 'sigil has no -y shorthand'],
        ['sk', 'not supported', 'no PIV'],
        ['slot', 'not supported', 'specific'],
        ['new', 'missing', 'no reason recorded'],
      ],
    );
  });
});

const cosign = requirePeer('cosign-v3', 'cosign');

describe('docs/cli-parity.md against the real cosign', { skip: cosign.skip }, () => {
  it('is up to date, and every cosign flag is supported or has a reason', () => {
    const { page, parity, stale } = generateParityPage(cosign.path);
    const missing = parity.flatMap((p) =>
      p.rows.filter((r) => r.status === 'missing').map((r) => `${p.command} --${r.flag.long}`),
    );
    assert.deepEqual(missing, [], 'add a reason to docs/cli-parity-reasons.yaml or support the flag');
    assert.deepEqual(stale, [], 'remove these entries from docs/cli-parity-reasons.yaml');
    assert.ok(
      readFileSync(PARITY_PAGE, 'utf8') === page,
      'docs/cli-parity.md is stale: run node --import tsx scripts/cli-parity.ts',
    );
  });
});
