/**
 * Fulcio's config in YAML (kebab-case keys, as Fulcio reads it when the file is not JSON) gives the same
 * issuers as its JSON form; malformed YAML is refused naming the line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFulcioConfig } from '../../src/ca/index.js';

const YAML_CONFIG = `
oidc-issuers:
  https://token.actions.githubusercontent.com:
    issuer-url: https://token.actions.githubusercontent.com
    client-id: sigstore
    type: github-workflow
  https://spiffe.example.org:
    client-id: sigstore
    type: spiffe
    spiffe-trust-domain: example.org
  https://users.example.com:
    client-id: sigstore
    type: username
    subject-domain: users.example.com
  https://ci.example.com:
    client-id: sigstore
    type: ci-provider
    ci-provider: example-ci
meta-issuers:
  https://oidc.eks.*.amazonaws.com/id/*:
    client-id: sigstore
    type: kubernetes
ci-issuer-metadata:
  example-ci:
    default-template-values:
      url: https://ci.example.com
    extension-templates:
      build-signer-uri: "{{ .url }}/{{ .job }}"
    subject-alternative-name-template: "{{ .url }}/{{ .job }}"
`;

const JSON_CONFIG = {
  OIDCIssuers: {
    'https://token.actions.githubusercontent.com': {
      IssuerURL: 'https://token.actions.githubusercontent.com',
      ClientID: 'sigstore',
      Type: 'github-workflow',
    },
    'https://spiffe.example.org': { ClientID: 'sigstore', Type: 'spiffe', SPIFFETrustDomain: 'example.org' },
    'https://users.example.com': {
      ClientID: 'sigstore',
      Type: 'username',
      SubjectDomain: 'users.example.com',
    },
    'https://ci.example.com': { ClientID: 'sigstore', Type: 'ci-provider', CIProvider: 'example-ci' },
  },
  MetaIssuers: { 'https://oidc.eks.*.amazonaws.com/id/*': { ClientID: 'sigstore', Type: 'kubernetes' } },
  CIIssuerMetadata: {
    'example-ci': {
      DefaultTemplateValues: { url: 'https://ci.example.com' },
      ExtensionTemplates: { BuildSignerURI: '{{ .url }}/{{ .job }}' },
      SubjectAlternativeNameTemplate: '{{ .url }}/{{ .job }}',
    },
  },
};

/** What an issuer decides with, the compiled templates rendered for one token. */
function summary(config: ReturnType<typeof parseFulcioConfig>) {
  return config.map(({ ciProvider, ...issuer }) => ({
    ...issuer,
    ...(ciProvider
      ? {
          san: ciProvider.subjectAlternativeName.render({ ...ciProvider.defaults, job: '7' }),
          signer: ciProvider.extensions.get('buildSignerUri')?.render({ ...ciProvider.defaults, job: '7' }),
        }
      : {}),
  }));
}

describe("Fulcio's YAML config", () => {
  it('reads as its JSON form does, with URLs, provider names and template variables kept as written', () => {
    const fromYaml = summary(parseFulcioConfig(YAML_CONFIG, 'config.yaml'));
    assert.deepEqual(fromYaml, summary(parseFulcioConfig(JSON.stringify(JSON_CONFIG), 'config.json')));
    assert.deepEqual(
      fromYaml.map((i) => [i.issuerUrl, i.type]),
      [
        ['https://token.actions.githubusercontent.com', 'github-workflow'],
        ['https://spiffe.example.org', 'spiffe'],
        ['https://users.example.com', 'username'],
        ['https://ci.example.com', 'ci-provider'],
        ['https://oidc.eks.*.amazonaws.com/id/*', 'kubernetes'],
      ],
    );
    assert.equal(fromYaml[3]?.san, 'https://ci.example.com/7');
    assert.equal(fromYaml[3]?.signer, 'https://ci.example.com/7');
  });

  it('checks a YAML config as strictly as JSON, and names the line of malformed YAML', () => {
    assert.throws(
      () => parseFulcioConfig('oidc-issuers:\n  https://x.example:\n    type: email\n', 'config.yaml'),
      /config.yaml: OIDCIssuers\["https:\/\/x.example"\].ClientID must be a non-empty string/,
    );
    assert.throws(
      () => parseFulcioConfig('oidc-issuers:\n  a: [1,\n b: 2\n', 'config.yaml'),
      /^SigilError: config.yaml \(line \d+\): neither JSON nor valid YAML: /,
    );
    assert.throws(() => parseFulcioConfig('just text', 'config.yaml'), /expected \{"OIDCIssuers"/);
    assert.throws(() => parseFulcioConfig('{"OIDCIssuers": ', 'config.json'), /config.json: malformed JSON/);
  });
});
