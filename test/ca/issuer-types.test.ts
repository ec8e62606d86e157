/**
 * Fulcio's issuer types beyond email and the built-in CI profiles: spiffe, username, uri (with its
 * SubjectDomain), buildkite-job, codefresh-workflow, chainguard-identity, the generic ci-provider driven by CIIssuerMetadata templates, and
 * wildcard MetaIssuers. Tokens come from the dev OIDC issuer (any claims), certificates from a real
 * CertificateAuthority reading a Fulcio-format config, and the refusals name their reason.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { X509Certificate as PeculiarCertificate } from '@peculiar/x509';
import { decodeJwt } from 'jose';
import { compileClaimTemplate } from '../../src/ca/ci-template.js';
import {
  buildCaApp,
  type CaMaterial,
  CertificateAuthority,
  type CtLog,
  createCaMaterial,
  embeddedCtLog,
  parseFulcioConfig,
  parseSigningCertRequest,
  TokenVerifier,
} from '../../src/ca/index.js';
import { isSigilError } from '../../src/core/index.js';
import { type DevTokenRequest, type RunningDevIssuer, startDevIssuer } from '../../src/oidc/index.js';
import { certificateIdentity } from '../../src/verify/index.js';

const ARC = '1.3.6.1.4.1.57264.1';

/** Fulcio's own CI metadata (config/identity/config.yaml), in its JSON form (Go field names). */
const FULCIO_CI_METADATA = {
  'github-workflow': {
    DefaultTemplateValues: { url: 'https://github.com', environment: '' },
    ExtensionTemplates: {
      GithubWorkflowTrigger: 'event_name',
      GithubWorkflowSHA: 'sha',
      GithubWorkflowName: 'workflow',
      GithubWorkflowRepository: 'repository',
      GithubWorkflowRef: 'ref',
      BuildSignerURI: '{{ .url }}/{{ .job_workflow_ref }}',
      BuildSignerDigest: 'job_workflow_sha',
      RunnerEnvironment: 'runner_environment',
      SourceRepositoryURI: '{{ .url }}/{{ .repository }}',
      SourceRepositoryDigest: 'sha',
      SourceRepositoryRef: 'ref',
      SourceRepositoryIdentifier: 'repository_id',
      SourceRepositoryOwnerURI: '{{ .url }}/{{ .repository_owner }}',
      SourceRepositoryOwnerIdentifier: 'repository_owner_id',
      BuildConfigURI: '{{ .url }}/{{ .workflow_ref }}',
      BuildConfigDigest: 'workflow_sha',
      BuildTrigger: 'event_name',
      RunInvocationURI: '{{ .url }}/{{ .repository }}/actions/runs/{{ .run_id }}/attempts/{{ .run_attempt }}',
      SourceRepositoryVisibilityAtSigning: 'repository_visibility',
      DeploymentEnvironment: 'environment',
    },
    SubjectAlternativeNameTemplate: '{{ .url }}/{{ .job_workflow_ref }}',
  },
  'gitlab-pipeline': {
    DefaultTemplateValues: { url: 'https://gitlab.com', environment: '' },
    ExtensionTemplates: {
      BuildSignerURI: 'https://{{ .ci_config_ref_uri }}',
      BuildSignerDigest: 'ci_config_sha',
      RunnerEnvironment: 'runner_environment',
      SourceRepositoryURI: '{{ .url }}/{{ .project_path }}',
      SourceRepositoryDigest: 'sha',
      SourceRepositoryRef: 'refs/{{if eq .ref_type "branch"}}heads/{{ else }}tags/{{end}}{{ .ref }}',
      SourceRepositoryIdentifier: 'project_id',
      SourceRepositoryOwnerURI: '{{ .url }}/{{ .namespace_path }}',
      SourceRepositoryOwnerIdentifier: 'namespace_id',
      BuildConfigURI: 'https://{{ .ci_config_ref_uri }}',
      BuildConfigDigest: 'ci_config_sha',
      BuildTrigger: 'pipeline_source',
      RunInvocationURI: '{{ .url }}/{{ .project_path }}/-/jobs/{{ .job_id }}',
      SourceRepositoryVisibilityAtSigning: 'project_visibility',
      DeploymentEnvironment: 'environment',
    },
    SubjectAlternativeNameTemplate: 'https://{{ .ci_config_ref_uri }}',
  },
  'buildkite-job': {
    DefaultTemplateValues: { url: 'https://buildkite.com' },
    ExtensionTemplates: {
      RunInvocationURI:
        '{{.url}}/{{.organization_slug}}/{{.pipeline_slug}}/builds/{{.build_number}}#{{.job_id}}',
      RunnerEnvironment: 'runner_environment',
      SourceRepositoryDigest: 'build_commit',
      BuildTrigger: 'build_source',
    },
    SubjectAlternativeNameTemplate: '{{.url}}/{{.organization_slug}}/{{.pipeline_slug}}',
  },
  'circleci-job': {
    DefaultTemplateValues: {
      api_url: 'https://circleci.com/api/v2',
      platform_url: 'https://app.circleci.com/',
    },
    ExtensionTemplates: {
      BuildConfigURI: '{{.api_url}}/pipeline/{{(index . "oidc.circleci.com/pipeline-id")}}/config',
      RunnerEnvironment:
        '{{if eq (index . "oidc.circleci.com/ssh-rerun") "true"}}ssh-rerun{{ else }}""{{end}}',
      SourceRepositoryRef: '{{index . "oidc.circleci.com/vcs-ref"}}',
    },
    SubjectAlternativeNameTemplate:
      '{{.api_url}}/projects/{{(index . "oidc.circleci.com/project-id")}}/pipeline-definitions/{{(index . "oidc.circleci.com/pipeline-definition-id")}}',
  },
};

describe('Fulcio issuer types', () => {
  let oidc: RunningDevIssuer;
  let material: CaMaterial;
  let ctLog: CtLog;

  before(async () => {
    oidc = await startDevIssuer('127.0.0.1', 0);
    material = await createCaMaterial();
    ctLog = await embeddedCtLog(':memory:', material);
  });
  after(async () => {
    await ctLog.close();
    await oidc.close();
  });

  /** A CA trusting the dev issuer's `email` URL (or another) as the given Fulcio issuer entry. */
  const caFor = (
    entry: Record<string, unknown>,
    extra: Record<string, unknown> = {},
    url = oidc.issuers.email,
  ) =>
    new CertificateAuthority(
      material,
      new TokenVerifier(
        parseFulcioConfig(
          JSON.stringify({ OIDCIssuers: { [url]: { ClientID: 'sigstore', ...entry } }, ...extra }),
          'fulcio.json',
        ),
      ),
      ctLog,
    );
  const tokenWith = (claims: DevTokenRequest['claims'], kind: DevTokenRequest['kind'] = 'email') =>
    oidc.mint({ kind, claims });
  /** Issues for `token` with a fresh key proving possession over the token's `sub`. */
  const issue = async (ca: CertificateAuthority, token: string) => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const request = parseSigningCertRequest({
      credentials: { oidcIdentityToken: token },
      publicKeyRequest: {
        publicKey: { content: publicKey.export({ type: 'spki', format: 'pem' }) },
        proofOfPossession: sign('sha256', Buffer.from(String(decodeJwt(token).sub)), privateKey).toString(
          'base64',
        ),
      },
    });
    const [leaf] = (await ca.issue(request)).chain;
    return new X509Certificate(leaf as string);
  };
  const refusedWith = async (promise: Promise<unknown>, pattern: RegExp, code = 'BAD_TOKEN') =>
    assert.rejects(promise, (err) => {
      assert.ok(isSigilError(err), String(err));
      assert.equal(err.code, code, err.message);
      assert.match(err.message, pattern);
      return true;
    });
  const configRefused = (config: unknown, pattern: RegExp) =>
    assert.throws(() => parseFulcioConfig(JSON.stringify(config), 'fulcio.json'), pattern);

  describe('spiffe', () => {
    const spiffe = { Type: 'spiffe', SPIFFETrustDomain: 'example.org' };

    it('puts the SPIFFE ID from `sub` in a URI SAN, with the issuer and the raw subject', async () => {
      const id = 'spiffe://example.org/ns/prod/sa/builder';
      const cert = await issue(caFor(spiffe), await tokenWith({ sub: id }));
      assert.equal(cert.subjectAltName, `URI:${id}`);
      const { extensions } = certificateIdentity(cert);
      assert.equal(extensions[`${ARC}.8`], oidc.issuers.email);
      assert.equal(extensions[`${ARC}.24`], id);
    });

    it('refuses SPIFFE IDs of another trust domain and subjects that are not SPIFFE IDs', async () => {
      const ca = caFor(spiffe);
      await refusedWith(
        issue(ca, await tokenWith({ sub: 'spiffe://evil.org/ns/prod/sa/builder' })),
        /SPIFFE ID "spiffe:\/\/evil.org\/ns\/prod\/sa\/builder" is outside the issuer's trust domain "example.org"/,
      );
      // A subdomain is another trust domain.
      await refusedWith(issue(ca, await tokenWith({ sub: 'spiffe://a.example.org/x' })), /outside/);
      await refusedWith(issue(ca, await tokenWith({ sub: 'https://example.org/x' })), /not a SPIFFE ID/);
      await refusedWith(
        issue(ca, await tokenWith({ sub: 'spiffe://example.org/a/../b' })),
        /not a SPIFFE ID/,
      );
    });

    it('needs a valid SPIFFETrustDomain, and no wildcard issuer', () => {
      configRefused(
        { OIDCIssuers: { 'https://x.example': { ClientID: 's', Type: 'spiffe' } } },
        /must have SPIFFETrustDomain/,
      );
      configRefused(
        {
          OIDCIssuers: {
            'https://x.example': { ClientID: 's', Type: 'spiffe', SPIFFETrustDomain: 'Not Valid' },
          },
        },
        /"Not Valid" is not a SPIFFE trust domain/,
      );
      configRefused(
        { OIDCIssuers: {}, MetaIssuers: { 'https://*.example': { ClientID: 's', ...spiffe } } },
        /spiffe issuers cannot be meta issuers/,
      );
    });
  });

  describe('username', () => {
    it("puts `sub!SubjectDomain` in an OtherName SAN under Fulcio's OID, as a UTF8String", async () => {
      const domain = new URL(oidc.issuers.email).hostname;
      const cert = await issue(
        caFor({ Type: 'username', SubjectDomain: domain }),
        await tokenWith({ sub: 'alice' }),
      );
      const san = new PeculiarCertificate(cert.raw).getExtension('2.5.29.17');
      assert.ok(san?.critical, 'the SAN of a subject-less certificate is critical');
      // GeneralNames { [0] OtherName { 1.3.6.1.4.1.57264.1.7, [0] EXPLICIT UTF8String } }, as Fulcio encodes it.
      const name = Buffer.from(`alice!${domain}`);
      const oid = Buffer.from([0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x07]);
      const value = Buffer.concat([Buffer.from([0xa0, name.length + 2, 0x0c, name.length]), name]);
      const otherName = Buffer.concat([Buffer.from([0xa0, oid.length + value.length]), oid, value]);
      const expected = Buffer.concat([Buffer.from([0x30, otherName.length]), otherName]);
      assert.equal(Buffer.from(san.value).toString('hex'), expected.toString('hex'));
      assert.equal(certificateIdentity(cert).extensions[`${ARC}.24`], 'alice');
      // Verifiers match the username as cosign does: `--certificate-identity alice!<domain>`.
      assert.deepEqual(certificateIdentity(cert).subjects, [`alice!${domain}`]);
    });

    it('refuses usernames with "!" or shaped like an email address', async () => {
      const ca = caFor({ Type: 'username', SubjectDomain: new URL(oidc.issuers.email).hostname });
      await refusedWith(issue(ca, await tokenWith({ sub: 'alice!evil.com' })), /contains "!"/);
      await refusedWith(issue(ca, await tokenWith({ sub: 'alice@example.com' })), /is an email address/);
    });

    it("needs a SubjectDomain without scheme inside the issuer's domain", () => {
      const issuer = (entry: object) => ({
        OIDCIssuers: { 'https://accounts.example.com': { ClientID: 's', Type: 'username', ...entry } },
      });
      configRefused(issuer({}), /a username issuer must have SubjectDomain set/);
      configRefused(issuer({ SubjectDomain: 'https://example.com' }), /must be a domain name, not a URL/);
      configRefused(
        issuer({ SubjectDomain: 'example.net' }),
        /not in the issuer's domain \(accounts.example.com\)/,
      );
      for (const domain of ['example.com', 'users.example.com', 'accounts.example.com']) {
        assert.equal(
          parseFulcioConfig(JSON.stringify(issuer({ SubjectDomain: domain })), 'f')[0]?.subjectDomain,
          domain,
        );
      }
    });
  });

  describe('uri', () => {
    const subjectDomain = () => new URL(oidc.issuers.email).origin;

    it('puts a `sub` URI on the SubjectDomain in a URI SAN', async () => {
      const sub = `${subjectDomain()}/users/alice`;
      const cert = await issue(
        caFor({ Type: 'uri', SubjectDomain: subjectDomain() }),
        await tokenWith({ sub }),
      );
      assert.equal(cert.subjectAltName, `URI:${sub}`);
    });

    it('refuses subjects on another host or scheme, and email subjects', async () => {
      const ca = caFor({ Type: 'uri', SubjectDomain: subjectDomain() });
      await refusedWith(
        issue(ca, await tokenWith({ sub: 'http://other.example/users/alice' })),
        /"http:\/\/other.example\/users\/alice" is outside the issuer's SubjectDomain/,
      );
      const https = `https://${new URL(subjectDomain()).host}/users/alice`;
      await refusedWith(issue(ca, await tokenWith({ sub: https })), /outside the issuer's SubjectDomain/);
      await refusedWith(issue(ca, await tokenWith({ sub: 'alice@example.com' })), /is an email address/);
      await refusedWith(issue(ca, await tokenWith({ sub: 'alice' })), /not a URI/);
    });

    it('needs a SubjectDomain URL with the issuer scheme, inside its domain', () => {
      const issuer = (entry: object) => ({
        OIDCIssuers: { 'https://accounts.example.com': { ClientID: 's', Type: 'uri', ...entry } },
      });
      configRefused(issuer({}), /a uri issuer must have SubjectDomain set/);
      configRefused(issuer({ SubjectDomain: 'example.com' }), /must be a URL with a scheme/);
      configRefused(issuer({ SubjectDomain: 'http://example.com' }), /must use the same scheme/);
      configRefused(issuer({ SubjectDomain: 'https://example.net' }), /not in the issuer's domain/);
      assert.equal(
        parseFulcioConfig(JSON.stringify(issuer({ SubjectDomain: 'https://users.example.com' })), 'f')[0]
          ?.subjectDomain,
        'https://users.example.com',
      );
    });
  });

  describe('buildkite-job', () => {
    const buildkite = {
      sub: 'organization:acme:pipeline:app:ref:refs/heads/main:commit:abc:step:build',
      organization_slug: 'acme',
      pipeline_slug: 'app',
    };

    it("puts the pipeline's page in a URI SAN; the challenge is `sub`", async () => {
      const cert = await issue(caFor({ Type: 'buildkite-job' }), await tokenWith(buildkite));
      assert.equal(cert.subjectAltName, 'URI:https://buildkite.com/acme/app');
      assert.equal(certificateIdentity(cert).extensions[`${ARC}.24`], buildkite.sub);
    });

    it('refuses tokens without the organization or pipeline slug', async () => {
      const ca = caFor({ Type: 'buildkite-job' });
      await refusedWith(
        issue(ca, await tokenWith({ ...buildkite, pipeline_slug: '' })),
        /no "pipeline_slug" claim/,
      );
    });
  });

  describe('codefresh-workflow', () => {
    const codefresh = {
      sub: 'account:628a80b693a15c0f9c13ab75:pipeline:65e5a53e52853dc51a5b0cc1',
      account_id: '628a80b693a15c0f9c13ab75',
      account_name: 'codefresh-account',
      pipeline_id: '65e5a53e52853dc51a5b0cc1',
      pipeline_name: 'oidc-test/get-token',
      workflow_id: '65e6d5551e7b2b1b7ebc1d4f',
      scm_repo_url: 'https://github.com/codefresh-user/oidc-test',
      scm_ref: 'main',
      runner_environment: 'hybrid',
    };

    it('names the pipeline by names and IDs in the SAN, and the build as signer and invocation', async () => {
      const cert = await issue(caFor({ Type: 'codefresh-workflow' }), await tokenWith(codefresh));
      assert.equal(
        cert.subjectAltName,
        'URI:https://g.codefresh.io/codefresh-account/oidc-test/get-token:628a80b693a15c0f9c13ab75/65e5a53e52853dc51a5b0cc1',
      );
      const { extensions } = certificateIdentity(cert);
      assert.equal(extensions[`${ARC}.9`], 'https://g.codefresh.io/build/65e6d5551e7b2b1b7ebc1d4f');
      assert.equal(extensions[`${ARC}.11`], 'hybrid');
      assert.equal(extensions[`${ARC}.12`], 'https://github.com/codefresh-user/oidc-test');
      assert.equal(extensions[`${ARC}.14`], 'main');
      assert.equal(extensions[`${ARC}.18`], 'https://g.codefresh.io/api/pipelines/65e5a53e52853dc51a5b0cc1');
      assert.equal(extensions[`${ARC}.21`], 'https://g.codefresh.io/build/65e6d5551e7b2b1b7ebc1d4f');
      assert.equal(extensions[`${ARC}.24`], codefresh.sub);
    });

    it('takes the platform URL from the token, and refuses tokens without the workflow ID', async () => {
      const ca = caFor({ Type: 'codefresh-workflow' });
      const onPrem = await issue(
        ca,
        await tokenWith({ ...codefresh, platform_url: 'https://cf.example.com/' }),
      );
      assert.match(onPrem.subjectAltName ?? '', /^URI:https:\/\/cf\.example\.com\/codefresh-account\//);
      await refusedWith(
        issue(ca, await tokenWith({ ...codefresh, workflow_id: '' })),
        /no "workflow_id" claim/,
      );
    });
  });

  describe('chainguard-identity', () => {
    it('puts <issuer>/<sub> in a URI SAN; without a verified email the challenge is `sub`', async () => {
      const sub = '720909c9f5279097d847ad02a2f24ba8f59de36a/a033a6fabe0bfa0d';
      const token = await tokenWith({ sub, email_verified: false });
      const cert = await issue(caFor({ Type: 'chainguard-identity' }), token);
      assert.equal(cert.subjectAltName, `URI:${oidc.issuers.email}/${sub}`);
      assert.equal(certificateIdentity(cert).extensions[`${ARC}.24`], sub);
    });
  });

  describe('ci-provider', () => {
    const ciProvider = (name: string, url = oidc.issuers['github-actions']) =>
      caFor({ Type: 'ci-provider', CIProvider: name }, { CIIssuerMetadata: FULCIO_CI_METADATA }, url);
    const githubWorkflow = () => caFor({ Type: 'github-workflow' }, {}, oidc.issuers['github-actions']);
    const profileOf = (cert: X509Certificate): Record<string, string | undefined> => ({
      san: cert.subjectAltName,
      ...certificateIdentity(cert).extensions,
    });

    it('gives a GitHub Actions token the same SAN and extensions as the github-workflow profile', async () => {
      for (const claims of [undefined, { environment: 'production' }]) {
        const token = await tokenWith(claims, 'github-actions');
        const templated = profileOf(await issue(ciProvider('github-workflow'), token));
        assert.deepEqual(templated, profileOf(await issue(githubWorkflow(), token)));
        assert.equal(templated[`${ARC}.23`], claims?.environment, 'deployment environment only when set');
        assert.equal(templated[`${ARC}.12`], 'https://github.com/sigil-dev/app');
        assert.equal(templated[`${ARC}.24`], decodeJwt(token).sub);
      }
    });

    it("runs Fulcio's GitLab and CircleCI templates (if/eq/else, index)", async () => {
      const gitlab = ciProvider('gitlab-pipeline', oidc.issuers.gitlab);
      const tag = await oidc.mint({
        kind: 'gitlab',
        ref: 'refs/tags/v1.0.0',
        claims: { project_visibility: 'private' },
      });
      const tagged = certificateIdentity(await issue(gitlab, tag)).extensions;
      assert.equal(tagged[`${ARC}.14`], 'refs/tags/v1.0.0');
      assert.equal(tagged[`${ARC}.22`], 'private');
      const branch = await oidc.mint({ kind: 'gitlab', claims: { project_visibility: 'public' } });
      assert.equal(
        certificateIdentity(await issue(gitlab, branch)).extensions[`${ARC}.14`],
        'refs/heads/main',
      );

      const circleci = await tokenWith({
        sub: 'org/o1/project/p1/user/u1',
        'oidc.circleci.com/project-id': 'p1',
        'oidc.circleci.com/pipeline-definition-id': 'd1',
        'oidc.circleci.com/pipeline-id': 'run-7',
        'oidc.circleci.com/vcs-ref': 'refs/heads/main',
        'oidc.circleci.com/ssh-rerun': true,
      });
      const cert = await issue(ciProvider('circleci-job', oidc.issuers.email), circleci);
      assert.equal(
        cert.subjectAltName,
        'URI:https://circleci.com/api/v2/projects/p1/pipeline-definitions/d1',
      );
      const extensions = certificateIdentity(cert).extensions;
      assert.equal(extensions[`${ARC}.18`], 'https://circleci.com/api/v2/pipeline/run-7/config');
      assert.equal(extensions[`${ARC}.11`], 'ssh-rerun');
      assert.equal(extensions[`${ARC}.14`], 'refs/heads/main');
    });

    it('refuses a token missing a claim a template needs', async () => {
      const token = await oidc.mint({ kind: 'gitlab' });
      await refusedWith(
        issue(ciProvider('gitlab-pipeline', oidc.issuers.gitlab), token),
        /SourceRepositoryVisibilityAtSigning: the token has no "project_visibility" claim and there is no default/,
      );
    });

    it('refuses an unknown CIProvider, unknown extensions and templates beyond the supported subset', () => {
      const config = (provider: string, metadata: object) => ({
        OIDCIssuers: { 'https://ci.example': { ClientID: 's', Type: 'ci-provider', CIProvider: provider } },
        CIIssuerMetadata: metadata,
      });
      const san = { SubjectAlternativeNameTemplate: '{{ .url }}' };
      configRefused(
        config('jenkins', FULCIO_CI_METADATA),
        /CIProvider "jenkins" names no entry of CIIssuerMetadata \(configured: github-workflow, gitlab-pipeline/,
      );
      configRefused(
        config('x', { x: { ExtensionTemplates: { BuildSignerUrl: 'a' }, ...san } }),
        /unknown extension "BuildSignerUrl"/,
      );
      configRefused(
        config('x', { x: {} }),
        /x"\]\.SubjectAlternativeNameTemplate must be a non-empty template/,
      );
      for (const [template, reason] of [
        ['{{ printf "%s" .url }}', /unsupported action "{{ printf "%s" .url }}"/],
        ['{{ .url | upper }}', /unsupported text "\| upper"/],
        ['{{ .url ', /not closed with "}}"/],
        ['{{ if eq .a "b" }}x', /"{{ if }}" is not closed with "{{ end }}"/],
        ['x{{ end }}', /"{{ end }}" without a matching "{{ if }}"/],
        ['{{- .url }}', /unsupported text "- .url"/],
        ['{{ index . "\\x41" }}', /unsupported action/],
      ] as const) {
        configRefused(config('x', { x: { SubjectAlternativeNameTemplate: template } }), reason);
      }
    });

    it('accepts kebab-case extension names (Fulcio YAML) and reads nested claims with {{ .a.b }}', () => {
      const [issuer] = parseFulcioConfig(
        JSON.stringify({
          OIDCIssuers: { 'https://ci.example': { ClientID: 's', Type: 'ci-provider', CIProvider: 'x' } },
          CIIssuerMetadata: {
            x: {
              ExtensionTemplates: { 'build-signer-uri': '{{ .job.url }}' },
              SubjectAlternativeNameTemplate: '{{ .job.url }}',
            },
          },
        }),
        'f',
      );
      const template = issuer?.ciProvider?.extensions.get('buildSignerUri');
      assert.equal(
        template?.render({ job: { url: 'https://ci.example/job/1' } }),
        'https://ci.example/job/1',
      );
      assert.throws(() => template?.render({ job: 'flat' }), /no "job.url" claim/);
      assert.throws(
        () => compileClaimTemplate('{{ .job }}', 't').render({ job: { a: 1 } }),
        /"job" claim is not text/,
      );
      // Without "{{", Fulcio reads the whole string as a claim name, not as literal text.
      assert.equal(compileClaimTemplate('sha', 't').render({ sha: 'abc' }), 'abc');
    });
  });

  it("describes each issuer in /api/v2/configuration as Fulcio's OIDCIssuer message does", async () => {
    const config = {
      OIDCIssuers: {
        'https://spiffe.example.org': {
          ClientID: 'sigstore',
          Type: 'spiffe',
          SPIFFETrustDomain: 'example.org',
        },
        'https://accounts.example.com': {
          ClientID: 'sigstore',
          Type: 'username',
          SubjectDomain: 'example.com',
        },
      },
      MetaIssuers: { 'https://oidc.eks.*.amazonaws.com/id/*': { ClientID: 'sigstore', Type: 'kubernetes' } },
    };
    const ca = new CertificateAuthority(
      material,
      new TokenVerifier(parseFulcioConfig(JSON.stringify(config), 'fulcio.json')),
      ctLog,
    );
    const response = await buildCaApp(ca).inject({ method: 'GET', url: '/api/v2/configuration' });
    assert.deepEqual(response.json().issuers, [
      {
        issuerUrl: 'https://spiffe.example.org',
        audience: 'sigstore',
        challengeClaim: 'sub',
        spiffeTrustDomain: 'example.org',
        issuerType: 'spiffe',
      },
      {
        issuerUrl: 'https://accounts.example.com',
        audience: 'sigstore',
        challengeClaim: 'sub',
        issuerType: 'username',
        subjectDomain: 'example.com',
      },
      {
        wildcardIssuerUrl: 'https://oidc.eks.*.amazonaws.com/id/*',
        audience: 'sigstore',
        challengeClaim: 'sub',
        issuerType: 'kubernetes',
      },
    ]);
  });

  describe('MetaIssuers', () => {
    it('matches wildcard issuer URLs (one URL part per *) and names the concrete issuer', async () => {
      const base = new URL(oidc.url);
      const pattern = `${base.protocol}//${base.hostname}:${base.port}/*`;
      const ca = new CertificateAuthority(
        material,
        new TokenVerifier(
          parseFulcioConfig(
            JSON.stringify({
              OIDCIssuers: {},
              MetaIssuers: { [pattern]: { ClientID: 'sigstore', Type: 'github-workflow' } },
            }),
            'fulcio.json',
          ),
        ),
        ctLog,
      );
      const cert = await issue(ca, await oidc.mint({ kind: 'github-actions' }));
      assert.equal(certificateIdentity(cert).issuer, oidc.issuers['github-actions']);
      assert.equal(ca.tokens.issuers[0]?.wildcard, true);
    });

    it("refuses issuers the pattern does not cover ('*' is one part: no '/' or '.')", async () => {
      const verifier = new TokenVerifier(
        parseFulcioConfig(
          JSON.stringify({
            OIDCIssuers: {},
            MetaIssuers: {
              'https://oidc.eks.*.amazonaws.com/id/*': { ClientID: 'sigstore', Type: 'kubernetes' },
            },
          }),
          'f',
        ),
      );
      const { SignJWT } = await import('jose');
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      for (const iss of [
        'https://oidc.eks.us-west-2.evil.com/id/ABC',
        'https://oidc.eks.us.west.amazonaws.com/id/ABC',
        'https://oidc.eks.us-west-2.amazonaws.com/id/ABC/extra',
        'http://localhost?https://oidc.eks.x.amazonaws.com/id/ABC',
      ]) {
        const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer(iss).sign(key);
        await refusedWith(verifier.verify(token), /is not configured/);
      }
    });
  });
});
