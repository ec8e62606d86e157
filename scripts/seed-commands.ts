// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the guides' shell and GitHub Actions expressions, quoted as written
/**
 * Every cosign command line of the user guides in /work/shared/seeds (two of them in French), as the guide
 * writes it, with what running it with `sigil` in place of `cosign` gives. test/docs/seed-commands.test.ts
 * runs each one against sigil's own stack (embedded registry, CA, log, dev OIDC issuer) and checks the
 * texts against the guides; this script writes docs/seed-commands.md from the same list:
 *
 *   node --import tsx scripts/seed-commands.ts
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SEED_PAGE = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'seed-commands.md');

export interface SeedCommand {
  /** The guide: the number its file name starts with. */
  seed: string;
  /** The line the command starts on. */
  line: number;
  /** The command as the guide writes it (line continuations and runs of spaces collapsed). */
  text: string;
  /** The image argument as written; the test points it at a local image in `repo`. */
  image?: string;
  repo?: string;
  /** Refer to the local image by this tag (default: by digest). */
  tag?: string;
  /** Keyless: the identity of the OIDC token in SIGSTORE_ID_TOKEN, `owner/repo` of a GitHub workflow or an email. */
  signer?: string;
  /** A keyless verification needs something signed first (the guide's earlier CI step). */
  setup?: 'sign' | 'attest cyclonedx' | 'attest spdxjson';
  /** Run in this folder of the guide's working directory. */
  cwd?: string;
  /** `ok` (exit 0), or the error sigil must give and why. */
  expect: 'ok' | { error: string; why: string };
}

/** Mentions of cosign commands that are prose, not commands to run. */
export const SEED_PROSE: { seed: string; line: number; why: string }[] = [
  { seed: '000', line: 398, why: 'troubleshooting table: `cosign sign --key ... $IMAGE`, arguments elided' },
  { seed: '002', line: 77, why: 'prose: "when `cosign sign` runs in the pipeline"' },
  { seed: '002', line: 184, why: 'prose: `cosign sign --yes ...` explains --yes, arguments elided' },
  { seed: '002', line: 201, why: 'prose: "Every `cosign sign` call writes an entry"' },
  { seed: '003', line: 249, why: 'exercise text: "... cosign sign. Then write a Kyverno ClusterPolicy"' },
  { seed: '003', line: 250, why: 'exercise text: "attest it with cosign attest"' },
  { seed: '004', line: 43, why: 'diagram: "Attest SBOM to image (cosign attest)"' },
];

const GH = 'https://token.actions.githubusercontent.com';
const KMS_KEY = 'awskms://arn:aws:kms:eu-west-1:123456789:key/abcd-1234';
const KMS = {
  error: 'awskms',
  why: 'not a valid awskms URI, as cosign says too: the guide drops the third slash (awskms:///arn:...) and its key id is no key UUID; sigil names the form it expects',
};
const ghImage = '${{ env.REGISTRY }}/${{ env.IMAGE_NAME }}@${{ steps.build.outputs.digest }}';
const repoImage = 'ghcr.io/${{ github.repository }}@${{ steps.build.outputs.digest }}';

export const SEED_COMMANDS: SeedCommand[] = [
  // 000: Kyverno + cosign lab (French)
  { seed: '000', line: 66, text: 'cosign version', expect: 'ok' },
  { seed: '000', line: 78, text: 'cosign generate-key-pair', expect: 'ok' },
  ...['sign --key cosign.key $IMAGE', 'verify --key cosign.pub $IMAGE', 'tree $IMAGE'].map(
    (args, i): SeedCommand => ({
      seed: '000',
      line: [92, 95, 102][i] as number,
      text: `cosign ${args}`,
      image: '$IMAGE',
      repo: 'z3rox-lab/rag-api',
      tag: 'v1.0.0',
      expect: 'ok',
    }),
  ),
  {
    seed: '000',
    line: 118,
    text: 'COSIGN_EXPERIMENTAL=1 cosign sign $IMAGE',
    image: '$IMAGE',
    repo: 'z3rox-lab/rag-api',
    tag: 'v1.0.0',
    signer: 'user@example.com',
    expect: 'ok',
  },
  {
    seed: '000',
    line: 121,
    text: `cosign sign --oidc-issuer ${GH} $IMAGE`,
    image: '$IMAGE',
    repo: 'z3rox-lab/rag-api',
    tag: 'v1.0.0',
    signer: 'z3rox-lab/rag-api',
    expect: 'ok',
  },
  {
    seed: '000',
    line: 128,
    text: 'cosign verify --certificate-identity "user@example.com" --certificate-oidc-issuer "https://accounts.google.com" $IMAGE',
    image: '$IMAGE',
    repo: 'z3rox-lab/rag-api',
    tag: 'v1.0.0',
    signer: 'user@example.com',
    setup: 'sign',
    expect: 'ok',
  },
  {
    seed: '000',
    line: 184,
    text: `cosign sign --yes ${ghImage}`,
    image: ghImage,
    repo: 'z3rox-lab/ai-security-platform',
    signer: 'z3rox-lab/ai-security-platform',
    expect: 'ok',
  },
  {
    seed: '000',
    line: 197,
    text: `cosign sign --key cosign.key ${ghImage}`,
    image: ghImage,
    repo: 'z3rox-lab/ai-security-platform',
    expect: 'ok',
  },
  { seed: '000', line: 273, text: 'cosign generate-key-pair', cwd: '.cosign', expect: 'ok' },
  {
    seed: '000',
    line: 309,
    text: 'cosign sign --key .cosign/cosign.key ghcr.io/z3rox-lab/test:signed',
    image: 'ghcr.io/z3rox-lab/test:signed',
    repo: 'z3rox-lab/test',
    tag: 'signed',
    expect: 'ok',
  },
  {
    seed: '000',
    line: 312,
    text: 'cosign verify --key .cosign/cosign.pub ghcr.io/z3rox-lab/test:signed',
    image: 'ghcr.io/z3rox-lab/test:signed',
    repo: 'z3rox-lab/test',
    tag: 'signed',
    expect: 'ok',
  },
  ...[
    [343, 'sbom.json', 'spdxjson'],
    [356, 'vuln.json', 'vuln'],
  ].map(
    ([line, file, type]): SeedCommand => ({
      seed: '000',
      line: line as number,
      text: `cosign attest --key cosign.key --predicate ${file} --type ${type} ghcr.io/z3rox-lab/rag-api:v1.0.0`,
      image: 'ghcr.io/z3rox-lab/rag-api:v1.0.0',
      repo: 'z3rox-lab/rag-api',
      tag: 'v1.0.0',
      expect: 'ok',
    }),
  ),

  // 001: Cosign guide (French; lines run together in this copy)
  ...[43, 44, 45, 332].map(
    (line): SeedCommand => ({ seed: '001', line, text: 'cosign version', expect: 'ok' }),
  ),
  ...[63, 93, 147].map(
    (line): SeedCommand => ({
      seed: '001',
      line,
      text: 'cosign sign --yes "${IMAGE}"',
      image: '${IMAGE}',
      repo: 'mon-org/mon-app',
      signer: 'mon-org/mon-app',
      expect: 'ok',
    }),
  ),
  ...[64, 93, 148].map(
    (line): SeedCommand => ({
      seed: '001',
      line,
      text: `cosign verify --certificate-identity-regexp="https://github.com/\${{ github.repository }}" --certificate-oidc-issuer="${GH}" "\${IMAGE}"`,
      image: '${IMAGE}',
      repo: 'mon-org/mon-app',
      signer: 'mon-org/mon-app',
      setup: 'sign',
      expect: 'ok',
    }),
  ),
  {
    seed: '001',
    line: 68,
    text: 'cosign sign --yes "ghcr.io/mon-org/test@${DIGEST}"',
    image: 'ghcr.io/mon-org/test@${DIGEST}',
    repo: 'mon-org/test',
    signer: 'mon-org/test',
    expect: 'ok',
  },
  {
    seed: '001',
    line: 71,
    text: `cosign verify ghcr.io/mon-org/mon-app@sha256:abc123... --certificate-identity-regexp="^https://github.com/mon-org/mon-app" --certificate-oidc-issuer="${GH}"`,
    image: 'ghcr.io/mon-org/mon-app@sha256:abc123...',
    repo: 'mon-org/mon-app',
    signer: 'mon-org/mon-app',
    setup: 'sign',
    expect: 'ok',
  },
  {
    seed: '001',
    line: 79,
    text: `cosign verify "\${IMAGE}" --certificate-identity-regexp="^https://github.com/mon-org/" --certificate-oidc-issuer="${GH}"`,
    image: '${IMAGE}',
    repo: 'mon-org/mon-app',
    signer: 'mon-org/mon-app',
    setup: 'sign',
    expect: 'ok',
  },
  {
    seed: '001',
    line: 83,
    text: 'cosign attest --yes --predicate sbom.cdx.json --type cyclonedx "ghcr.io/mon-org/mon-app@sha256:abc123"',
    image: 'ghcr.io/mon-org/mon-app@sha256:abc123',
    repo: 'mon-org/mon-app',
    signer: 'mon-org/mon-app',
    expect: 'ok',
  },
  {
    seed: '001',
    line: 84,
    text: `cosign verify-attestation --type cyclonedx --certificate-identity-regexp="^https://github.com/mon-org/" --certificate-oidc-issuer="${GH}" ghcr.io/mon-org/mon-app@sha256:abc123`,
    image: 'ghcr.io/mon-org/mon-app@sha256:abc123',
    repo: 'mon-org/mon-app',
    signer: 'mon-org/mon-app',
    setup: 'attest cyclonedx',
    expect: 'ok',
  },
  {
    seed: '001',
    line: 100,
    text: 'cosign attach sbom --sbom sbom-spdx.json ${{ needs.build-and-sign.outputs.image }}@${{ needs.build-and-sign.outputs.digest }}',
    image: '${{ needs.build-and-sign.outputs.image }}@${{ needs.build-and-sign.outputs.digest }}',
    repo: 'mon-org/mon-app',
    expect: 'ok',
  },
  { seed: '001', line: 103, text: 'cosign generate-key-pair', expect: 'ok' },
  // A later section of the guide starts over: in a folder of its own, as the reader would.
  { seed: '001', line: 212, text: 'cosign generate-key-pair', cwd: 'section-2', expect: 'ok' },
  ...[
    [104, 'sign --key cosign.key', 'mon-org/mon-app'],
    [105, 'verify --key cosign.pub', 'mon-org/mon-app'],
    [214, 'sign --key cosign.key', 'org/app'],
  ].map(
    ([line, args, repo]): SeedCommand => ({
      seed: '001',
      line: line as number,
      text: `cosign ${args} ghcr.io/${repo}@sha256:abc123`,
      image: `ghcr.io/${repo}@sha256:abc123`,
      repo: repo as string,
      ...(line === 214 ? { cwd: 'section-2' } : {}),
      expect: 'ok',
    }),
  ),
  ...[106, 372].map(
    (line): SeedCommand => ({
      seed: '001',
      line,
      text: `cosign generate-key-pair --kms ${KMS_KEY}`,
      expect: KMS,
    }),
  ),
  ...[
    [107, 'sign'],
    [108, 'verify'],
    [374, 'sign'],
    [377, 'verify'],
  ].map(
    ([line, command]): SeedCommand => ({
      seed: '001',
      line: line as number,
      text: `cosign ${command} --key ${KMS_KEY} ghcr.io/mon-org/${line === 107 || line === 108 ? 'mon-app' : 'app'}@sha256:abc123`,
      image: `ghcr.io/mon-org/${line === 107 || line === 108 ? 'mon-app' : 'app'}@sha256:abc123`,
      repo: 'mon-org/mon-app',
      expect: KMS,
    }),
  ),
  {
    seed: '001',
    line: 151,
    text: 'cosign triangulate ghcr.io/mon-org/mon-app@sha256:abc123',
    image: 'ghcr.io/mon-org/mon-app@sha256:abc123',
    repo: 'mon-org/mon-app',
    expect: 'ok',
  },
  ...[
    [152, 'mon-app'],
    [273, 'app'],
  ].map(
    ([line, app]): SeedCommand => ({
      seed: '001',
      line: line as number,
      text: `cosign verify ghcr.io/mon-org/${app}@sha256:abc123 --certificate-identity-regexp=".*" --certificate-oidc-issuer-regexp=".*"`,
      image: `ghcr.io/mon-org/${app}@sha256:abc123`,
      repo: `mon-org/${app}`,
      signer: `mon-org/${app}`,
      setup: 'sign',
      expect: 'ok',
    }),
  ),
  {
    seed: '001',
    line: 157,
    text: 'COSIGN_EXPERIMENTAL=1 cosign sign --yes ghcr.io/mon-org/test@sha256:abc123',
    image: 'ghcr.io/mon-org/test@sha256:abc123',
    repo: 'mon-org/test',
    signer: 'dev@mon-org.example',
    expect: 'ok',
  },
  ...[
    [188, 'mon-org/app'],
    [203, 'org/app'],
  ].map(
    ([line, repo]): SeedCommand => ({
      seed: '001',
      line: line as number,
      text: `cosign sign --yes ghcr.io/${repo}@sha256:abc123`,
      image: `ghcr.io/${repo}@sha256:abc123`,
      repo: repo as string,
      signer: repo as string,
      expect: 'ok',
    }),
  ),
  ...[
    [190, 'mon-org/app', '^https://github.com/mon-org/'],
    [248, 'mon-org/app', '^https://github.com/mon-org/mon-app'],
    [279, 'owner/app', '^https://github.com/owner/'],
  ].map(
    ([line, repo, identity]): SeedCommand => ({
      seed: '001',
      line: line as number,
      text: `cosign verify ghcr.io/${repo}@sha256:abc123 --certificate-identity-regexp="${identity}" --certificate-oidc-issuer="${GH}"`,
      image: `ghcr.io/${repo}@sha256:abc123`,
      repo: line === 248 ? 'mon-org/app-248' : (repo as string),
      // The guide's workflow signs from mon-org/mon-app (line 241) what line 248 verifies.
      signer: line === 248 ? 'mon-org/mon-app' : (repo as string),
      setup: 'sign',
      expect: 'ok',
    }),
  ),
  {
    seed: '001',
    line: 241,
    text: `cosign sign --yes ${repoImage}`,
    image: repoImage,
    repo: 'mon-org/mon-app',
    signer: 'mon-org/mon-app',
    expect: 'ok',
  },
  {
    seed: '001',
    line: 282,
    text: 'COSIGN_EXPERIMENTAL=1 cosign verify ghcr.io/owner/app:tag',
    image: 'ghcr.io/owner/app:tag',
    repo: 'owner/app',
    tag: 'tag',
    expect: {
      error: 'certificate-identity',
      why: 'as in cosign v2/v3: keyless verification needs the signer identity and issuer (the guide itself warns it checks no identity)',
    },
  },
  {
    seed: '001',
    line: 295,
    text: 'cosign attest --yes --predicate sbom.cdx.json --type cyclonedx ghcr.io/org/app@sha256:abc123',
    image: 'ghcr.io/org/app@sha256:abc123',
    repo: 'org/app',
    signer: 'org/app',
    expect: 'ok',
  },
  {
    seed: '001',
    line: 300,
    text: `cosign verify-attestation --type cyclonedx --certificate-identity-regexp="^https://github.com/org/" --certificate-oidc-issuer="${GH}" ghcr.io/org/app@sha256:abc123`,
    image: 'ghcr.io/org/app@sha256:abc123',
    repo: 'org/app',
    signer: 'org/app',
    setup: 'attest cyclonedx',
    expect: 'ok',
  },

  // 002: keyless signing with GitHub Actions, Kyverno, Rekor
  {
    seed: '002',
    line: 164,
    text: 'cosign sign --yes "${{ vars.DOCKERHUB_USERNAME }}/rs-${{ matrix.app }}@${{env.DIGEST}}"',
    image: '${{ vars.DOCKERHUB_USERNAME }}/rs-${{ matrix.app }}@${{env.DIGEST}}',
    repo: 'shebl22/rs-cart',
    signer: 'abdelrahman-shebl/Robot-Shop-Microservices',
    expect: 'ok',
  },
  {
    seed: '002',
    line: 171,
    text: 'cosign sign myorg/rs-cart:abc123sha',
    image: 'myorg/rs-cart:abc123sha',
    repo: 'myorg/rs-cart',
    tag: 'abc123sha',
    signer: 'myorg/rs-cart',
    expect: 'ok',
  },
  {
    seed: '002',
    line: 174,
    text: 'cosign sign myorg/rs-cart@sha256:3f4a2b...',
    image: 'myorg/rs-cart@sha256:3f4a2b...',
    repo: 'myorg/rs-cart',
    signer: 'myorg/rs-cart',
    expect: 'ok',
  },
  {
    seed: '002',
    line: 245,
    text: `cosign verify --certificate-identity-regexp "https://github.com/abdelrahman-shebl/Robot-Shop-Microservices/.*" --certificate-oidc-issuer "${GH}" docker.io/shebl22/rs-cart@sha256:3f4a2b...`,
    image: 'docker.io/shebl22/rs-cart@sha256:3f4a2b...',
    repo: 'shebl22/rs-cart',
    signer: 'abdelrahman-shebl/Robot-Shop-Microservices',
    setup: 'sign',
    expect: 'ok',
  },

  // 003: Kyverno image verification guide
  { seed: '003', line: 13, text: 'cosign generate-key-pair', expect: 'ok' },
  ...[
    [15, 'sign --key cosign.key'],
    [17, 'verify --key cosign.pub'],
    [81, 'attest --key cosign.key --predicate sbom.spdx.json --type spdxjson'],
    [120, 'attest --key cosign.key --predicate vuln-report.json --type vuln'],
  ].map(
    ([line, args]): SeedCommand => ({
      seed: '003',
      line: line as number,
      text: `cosign ${args} ghcr.io/myorg/myapp:v1.2.3`,
      image: 'ghcr.io/myorg/myapp:v1.2.3',
      repo: 'myorg/myapp',
      tag: 'v1.2.3',
      expect: 'ok',
    }),
  ),
  ...[
    [220, 'sign --yes'],
    [230, 'attest --yes --predicate sbom.spdx.json --type spdxjson'],
    [244, 'attest --yes --predicate vuln-report.json --type vuln'],
  ].map(
    ([line, args]): SeedCommand => ({
      seed: '003',
      line: line as number,
      text: `cosign ${args} ghcr.io/myorg/myapp:\${{ github.ref_name }}`,
      image: 'ghcr.io/myorg/myapp:${{ github.ref_name }}',
      repo: 'myorg/myapp',
      tag: 'v1.2.3',
      signer: 'myorg/myapp',
      expect: 'ok',
    }),
  ),

  // 004: CI signing lab
  ...[
    [164, 'sign --yes'],
    [173, 'attest --yes --predicate sbom.spdx.json --type spdxjson'],
  ].map(
    ([line, args]): SeedCommand => ({
      seed: '004',
      line: line as number,
      text: `cosign ${args} \${IMAGE}@\${DIGEST}`,
      image: '${IMAGE}@${DIGEST}',
      repo: 'illmadecoder/cicd-sample',
      signer: 'illMadeCoder/illm-k8s-ai-labs',
      expect: 'ok',
    }),
  ),
  ...[
    [206, 'verify', 'sign'],
    [212, 'verify-attestation --type spdxjson', 'attest spdxjson'],
  ].map(
    ([line, args, setup]): SeedCommand => ({
      seed: '004',
      line: line as number,
      text: `cosign ${args} --certificate-oidc-issuer="${GH}" --certificate-identity-regexp="github.com/illMadeCoder/illm-k8s-ai-labs" ghcr.io/illmadecoder/cicd-sample:latest`,
      image: 'ghcr.io/illmadecoder/cicd-sample:latest',
      repo: 'illmadecoder/cicd-sample',
      tag: 'latest',
      signer: 'illMadeCoder/illm-k8s-ai-labs',
      setup: setup as SeedCommand['setup'],
      expect: 'ok',
    }),
  ),
];

export function renderSeedCommands(): string {
  const lines = [
    "# The seed guides' cosign commands, run with sigil",
    '',
    '<!-- Generated by `node --import tsx scripts/seed-commands.ts` from the list in that script; do not edit.',
    '     test/docs/seed-commands.test.ts runs every command and checks it against the guides. -->',
    '',
    'Every cosign command line of the five user guides in `/work/shared/seeds` (two in French), as written,',
    "run with `sigil` in place of `cosign` against sigil's own stack: the images point at the embedded",
    'registry, `https://token.actions.githubusercontent.com` and `https://accounts.google.com` at the dev OIDC',
    "issuer's GitHub Actions and email issuers, and keyless signing takes its token from `SIGSTORE_ID_TOKEN`",
    '(what the GitHub Actions runner would provide). `ok`: it runs and exits 0 with the meaning it has in',
    'cosign; otherwise the error sigil gives, and why.',
    '',
    '| guide:line | command | with sigil |',
    '|---|---|---|',
  ];
  for (const entry of SEED_COMMANDS) {
    const status = entry.expect === 'ok' ? 'ok' : `refused (\`${entry.expect.error}\`): ${entry.expect.why}`;
    lines.push(`| ${entry.seed}:${entry.line} | \`${entry.text.replaceAll('|', '\\|')}\` | ${status} |`);
  }
  lines.push('', 'Mentions of cosign commands that are not commands to run:', '');
  for (const prose of SEED_PROSE) lines.push(`- ${prose.seed}:${prose.line}: ${prose.why}`);
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SEED_PAGE, renderSeedCommands());
}
