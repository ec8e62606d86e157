/**
 * Attestations verified per second with conditions: an image with a key-signed vulnerability-scan
 * attestation on the embedded registry; each round fetches the `.att` artifact, verifies the DSSE
 * signature and subject, and evaluates a Kyverno condition block over the predicate.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attestImage, verifyImageAttestations } from '../src/cosign/index.js';
import { generateKeyPair, keySigner } from '../src/crypto/index.js';
import { PREDICATE_VULN } from '../src/formats/index.js';
import { parseReference, pushTestImage, RegistryClient, startRegistry } from '../src/oci/index.js';
import { evaluateConditions } from '../src/policy/index.js';
import { formatTiming, measure } from './stats.js';

const CONDITIONS = [
  {
    all: [
      { key: '{{ scanner.result.summary.criticalCount }}', operator: 'Equals', value: 0 },
      { key: '{{ scanner.uri }}', operator: 'Equals', value: 'trivy*' },
    ],
  },
];

export async function benchAttestations(): Promise<void> {
  const registry = await startRegistry({
    host: '127.0.0.1',
    port: 0,
    dataDir: join(mkdtempSync(join(tmpdir(), 'sigil-bench-att-')), 'r'),
  });
  try {
    const client = new RegistryClient({});
    const image = parseReference(`${registry.address}/team/app:v1`);
    const digest = await pushTestImage(client, image, { files: { 'f.txt': 'attested' } });
    const key = generateKeyPair('ecdsa-p256');
    const scan = { scanner: { uri: 'trivy', result: { summary: { criticalCount: 0, highCount: 3 } } } };
    await attestImage({
      client,
      signer: keySigner(key.privateKey),
      image,
      type: 'vuln',
      predicate: Buffer.from(JSON.stringify(scan)),
      predicateSource: 'scan',
    });
    const pinned = { ...image, digest };
    const verifyOnce = async () => {
      const result = await verifyImageAttestations({
        client,
        image: pinned,
        publicKey: key.publicKey,
        ignoreTlog: true,
        predicateType: PREDICATE_VULN,
      });
      for (const a of result.verified) {
        if (!evaluateConditions(CONDITIONS, a.statement.predicate).passed)
          throw new Error('condition failed');
      }
    };
    await measure(100, verifyOnce);
    console.log(
      formatTiming(
        'verify-attestation + conditions, embedded registry, x1',
        await measure(1_000, verifyOnce),
      ),
    );
    console.log(
      formatTiming(
        'verify-attestation + conditions, embedded registry, x16',
        await measure(2_000, verifyOnce, 16),
      ),
    );
  } finally {
    await registry.close();
  }
}
