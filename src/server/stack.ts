/**
 * `sigil serve`: the private Sigstore in one process on embedded defaults: certificate authority (with
 * its CT log), transparency log, development OIDC issuer, and OCI registry, each on its own port, with
 * the trust documents clients need (`trusted_root.json`, `signing_config.json`) written to the data
 * directory and published as the targets of a TUF repository (<data-dir>/tuf) served on its own port.
 * The web console (/ui/) reads the log and the registry. State survives restarts (CA keys, log, registry, TUF keys); dev-issuer keys are new on every start.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  CertificateAuthority,
  embeddedCtLog,
  type IssuerConfig,
  initCaMaterial,
  loadCaMaterial,
  startCa,
  type TokenCa,
  TokenVerifier,
} from '../ca/index.js';
import { decodePemBlocks, writeFileAtomic } from '../core/index.js';
import { signingConfigJson, trustedRootJson } from '../formats/index.js';
import { RegistryClient, startRegistry } from '../oci/index.js';
import { type DevTokenRequest, startDevIssuer } from '../oidc/index.js';
import { logKeyPath, startTlog } from '../tlog/index.js';
import { loadOrCreateTsaMaterial, startTsa, TIMESTAMP_PATH } from '../tsa/index.js';
import { type RefreshReport, serveTrust } from '../tuf/index.js';
import { parseTrustedRoot } from '../verify/index.js';
import { startConsole } from './console/index.js';

export interface StackOptions {
  dataDir: string;
  host: string;
  /** Ports per service; 0 (the default) picks a free one. */
  ports?: Partial<Record<'registry' | 'tlog' | 'ca' | 'oidc' | 'tsa' | 'tuf' | 'console', number>>;
  /** Issuers trusted besides the dev issuer (e.g. GitHub Actions for real CI tokens). */
  extraIssuers?: IssuerConfig[];
  /** Sequencer interval of the log, in ms (short for interactive use). */
  tlogIntervalMs?: number;
  /** The log API signers are pointed at: 1 (Rekor v1, SETs) or 2 (Rekor v2, signing times from the TSA). */
  rekorApiVersion?: 1 | 2;
  /** The CA key and certificate on a PKCS#11 token (Fulcio's pkcs11ca) instead of files. */
  tokenCa?: TokenCa;
  /** Told when the TUF server re-signs its metadata on its timer, or fails to. */
  onTufRefresh?: (report: RefreshReport | Error) => void;
}

export interface RunningStack {
  /** `tuf` is the TUF mirror URL clients `initialize` with. */
  /** `console` is the web console's page (…/ui/). */
  urls: {
    registry: string;
    tlog: string;
    ca: string;
    oidc: string;
    tsa: string;
    tuf: string;
    console: string;
  };
  /** host:port of the registry, for image references. */
  registryAddress: string;
  /** The dev issuer's issuer URL per identity kind. */
  issuers: Record<'email' | 'github-actions' | 'gitlab', string>;
  trustedRootPath: string;
  signingConfigPath: string;
  /** The TUF repository's newest root.json, for `initialize --root`. */
  tufRootPath: string;
  mintToken(request: DevTokenRequest): Promise<string>;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const { dataDir, host } = options;
  const port = (name: keyof NonNullable<StackOptions['ports']>) => options.ports?.[name] ?? 0;
  const caDir = join(dataDir, 'ca');
  const material = existsSync(join(caDir, 'chain.pem'))
    ? await loadCaMaterial(caDir, options.tokenCa)
    : await initCaMaterial(caDir, 'sigil', options.tokenCa);
  const closers: Array<() => Promise<void>> = [];
  try {
    const oidc = await startDevIssuer(host, port('oidc'));
    closers.push(oidc.close);
    const tlog = await startTlog({
      host,
      port: port('tlog'),
      dataDir: join(dataDir, 'tlog'),
      intervalMs: options.tlogIntervalMs ?? 5,
    });
    closers.push(tlog.close);
    const issuers: IssuerConfig[] = [
      { issuerUrl: oidc.issuers.email, clientId: 'sigstore', type: 'email' },
      { issuerUrl: oidc.issuers['github-actions'], clientId: 'sigstore', type: 'github-workflow' },
      { issuerUrl: oidc.issuers.gitlab, clientId: 'sigstore', type: 'gitlab-pipeline' },
      ...(options.extraIssuers ?? []),
    ];
    const ctLog = await embeddedCtLog(join(caDir, 'ctlog.db'), material);
    closers.push(() => ctLog.close());
    const authority = new CertificateAuthority(material, new TokenVerifier(issuers), ctLog);
    const ca = await startCa(authority, host, port('ca'), ctLog);
    closers.push(ca.close);
    const registry = await startRegistry({
      host,
      port: port('registry'),
      dataDir: join(dataDir, 'registry'),
    });
    closers.push(registry.close);
    const tsaMaterial = await loadOrCreateTsaMaterial(join(dataDir, 'tsa'));
    const tsa = await startTsa({ host, port: port('tsa'), ...tsaMaterial });
    closers.push(tsa.close);
    const tsaChain = decodePemBlocks(tsaMaterial.chainPem, 'TSA chain').map(
      (block) => new X509Certificate(block.der),
    );

    const trustedRootPath = join(dataDir, 'trusted_root.json');
    const signingConfigPath = join(dataDir, 'signing_config.json');
    const caSince = new Date(material.chain[0]?.validFrom ?? 0);
    // Integrated times are whole seconds: the log's window starts at its key's creation, floored to one.
    const logSince = new Date(Math.floor(statSync(logKeyPath(join(dataDir, 'tlog'))).mtimeMs / 1000) * 1000);
    const root = trustedRootJson({
      tlogs: [{ baseUrl: tlog.url, publicKey: tlog.log.publicKey, validFrom: logSince }],
      certificateAuthorities: [
        {
          uri: ca.url,
          chain: material.chain,
          organization: 'sigil',
          commonName: 'sigil',
          validFrom: caSince,
        },
      ],
      ctlogs: [{ baseUrl: ca.url, publicKey: ctLog.publicKey, validFrom: caSince }],
      timestampAuthorities: [
        {
          uri: tsa.url,
          chain: tsaChain,
          organization: 'sigil',
          commonName: 'sigil timestamp authority',
          validFrom: new Date(tsaChain[0]?.validFrom ?? 0),
        },
      ],
    });
    const config = signingConfigJson({
      caUrl: ca.url,
      oidcUrl: oidc.url,
      rekorUrl: tlog.url,
      rekorApiVersion: options.rekorApiVersion ?? 1,
      // A signing config names the TSA's timestamp endpoint itself, not its base URL: sigstore-go (cosign
      // v3) and sigstore-python post to it as it is.
      tsaUrl: `${tsa.url}${TIMESTAMP_PATH}`,
      validFrom: caSince,
    });
    const rootBytes = `${JSON.stringify(root, null, 2)}\n`;
    const configBytes = `${JSON.stringify(config, null, 2)}\n`;
    await writeFileAtomic(trustedRootPath, rootBytes);
    await writeFileAtomic(signingConfigPath, configBytes);
    const tuf = await serveTrust({
      dir: join(dataDir, 'tuf'),
      host,
      port: port('tuf'),
      trustedRoot: Buffer.from(rootBytes),
      signingConfig: Buffer.from(configBytes),
      ...(options.onTufRefresh ? { onRefresh: options.onTufRefresh } : {}),
    });
    closers.push(tuf.close);
    const consoleServer = await startConsole({
      host,
      port: port('console'),
      tlogUrl: tlog.url,
      registry: { address: registry.address, client: new RegistryClient({}) },
      trustedRoot: parseTrustedRoot(rootBytes, trustedRootPath),
    });
    closers.push(consoleServer.close);
    return {
      urls: {
        registry: registry.url,
        tlog: tlog.url,
        ca: ca.url,
        oidc: oidc.url,
        tsa: tsa.url,
        tuf: tuf.url,
        console: `${consoleServer.url}/ui/`,
      },
      registryAddress: registry.address,
      issuers: oidc.issuers,
      trustedRootPath,
      signingConfigPath,
      tufRootPath: tuf.rootPath,
      mintToken: oidc.mint,
      close: () => closeAll(closers),
    };
  } catch (err) {
    await closeAll(closers);
    throw err;
  }
}

async function closeAll(closers: Array<() => Promise<void>>): Promise<void> {
  for (const close of closers.reverse()) await close();
}
