import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ImageTree, treeText } from '../../src/cosign/index.js';

const digest = (c: string) => `sha256:${c.repeat(64)}` as const;

describe('treeText', () => {
  it('prints tags and referrers as cosign tree does: a section each, layer digests only', () => {
    const tree: ImageTree = {
      image: `r.example/app@${digest('a')}`,
      digest: digest('a'),
      artifacts: [
        {
          kind: 'attestation',
          reference: `r.example/app:sha256-${'a'.repeat(64)}.att`,
          layers: [
            { digest: digest('b'), predicateType: 'https://spdx.dev/Document' },
            { digest: digest('c') },
          ],
        },
      ],
      referrers: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: digest('d'),
          size: 700,
          artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
          reference: `r.example/app@${digest('d')}`,
          kind: 'https://slsa.dev/provenance/v1',
          layers: [{ digest: digest('e') }],
        },
      ],
    };
    assert.equal(
      treeText(tree),
      [
        `📦 Supply Chain Security Related artifacts for an image: r.example/app@${digest('a')}`,
        `└── 💾 Attestations for an image tag: r.example/app:sha256-${'a'.repeat(64)}.att`,
        `   ├── 🍒 ${digest('b')}`,
        `   └── 🍒 ${digest('c')}`,
        `└── 🔗 https://slsa.dev/provenance/v1 artifacts via OCI referrer: r.example/app@${digest('d')}`,
        `   └── 🍒 ${digest('e')}`,
      ].join('\n'),
    );
  });
});
