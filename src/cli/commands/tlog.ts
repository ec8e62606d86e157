import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import {
  isRecord,
  parseJson,
  readUserFile,
  SigilError,
  sha256Digest,
  writeFileAtomic,
} from '../../core/index.js';
import { loadPublicKeyPem, publicKeyPem } from '../../crypto/index.js';
import {
  createLogKey,
  logIdOf,
  logKeyPath,
  RekorClient,
  startTlog,
  verifyCheckpoint,
  verifyConsistency,
} from '../../tlog/index.js';
import { parseAddress } from '../address.js';
import { parseNonNegativeInt, parseOutput, parsePositiveInt } from '../options.js';
import { info, printResult, warn } from '../output.js';
import { action } from '../run.js';
import { closeOnSignal } from '../serving.js';

const DEFAULT_URL = 'http://127.0.0.1:3000';

export function registerTlogCommands(program: Command): void {
  const tlog = program
    .command('tlog')
    .description('The transparency log: serve it, read it, monitor it (Rekor v1 API)');

  tlog
    .command('init')
    .description('Create the log signing key in the data directory (refuses to replace an existing one)')
    .option('--data-dir <dir>', 'where the log keeps its key and database', './.sigil/tlog')
    .option('--key-type <type>', 'ecdsa-p256 or ed25519', parseLogKeyType, 'ecdsa-p256')
    .addHelpText(
      'after',
      '\nExamples:\n  sigil tlog init --data-dir ./.sigil/tlog\n  sigil tlog init --key-type ed25519',
    )
    .action(
      action(async (opts: { dataDir: string; keyType: 'ecdsa-p256' | 'ed25519' }) => {
        const key = await createLogKey(logKeyPath(opts.dataDir), opts.keyType);
        info(`Log key written to ${logKeyPath(opts.dataDir)} (public key: ${logKeyPath(opts.dataDir)}.pub)`);
        printResult(`log ID: ${key.logId.toString('hex')}`);
      }),
    );

  tlog
    .command('serve')
    .description('Serve the transparency log: SQLite in the data directory, key created on first start')
    .option('--addr <host:port>', 'address to listen on', '127.0.0.1:3000')
    .option('--data-dir <dir>', 'where the log keeps its key and database', './.sigil/tlog')
    .option(
      '--database <url>',
      'postgres://user@host/db: keep the log in PostgreSQL (default: SQLite in --data-dir); any number of replicas may serve one database, given the same log key and --hostname',
    )
    .option('--hostname <name>', 'the name checkpoints are signed under (clients match it to the log URL)')
    .option(
      '--signer <uri>',
      "sign checkpoints and entries with a KMS key (awskms://, gcpkms://, azurekms://, hashivault://) instead of the data directory's key file, as Rekor's --rekor_server.signer; clients get its public key from sigil public-key --key URI",
    )
    .option('--batch-size <n>', 'entries integrated per batch at most', parsePositiveInt, 512)
    .option(
      '--batch-interval <ms>',
      'least time between batch commits: the longest an entry waits beyond the batch being written (an idle log commits at once)',
      parsePositiveInt,
      20,
    )
    .option('--max-entry-bytes <n>', 'largest accepted submission', parsePositiveInt, 1024 * 1024)
    .option(
      '--verify-workers <n>',
      'worker threads that check submitted signatures (0: none)',
      parseNonNegativeInt,
      Math.max(1, availableParallelism() - 1),
    )
    .addHelpText(
      'after',
      `
Examples:
  sigil tlog serve --addr 127.0.0.1:3000 --data-dir ./.sigil/tlog
  sigil tlog serve --database postgres://sigil@db.internal/sigil   (run it on several hosts: one integrates, all serve)
  sigil tlog serve --signer awskms:///alias/sigil-log   (the log key in AWS KMS)
  sigil sign --key cosign.key --rekor-url http://127.0.0.1:3000 IMAGE`,
    )
    .action(
      action(
        async (opts: {
          addr: string;
          dataDir: string;
          hostname?: string;
          database?: string;
          batchSize: number;
          batchInterval: number;
          maxEntryBytes: number;
          verifyWorkers: number;
          signer?: string;
        }) => {
          const { host, port } = parseAddress(opts.addr);
          const running = await startTlog({
            host,
            port,
            dataDir: opts.dataDir,
            batchSize: opts.batchSize,
            intervalMs: opts.batchInterval,
            maxBodyBytes: opts.maxEntryBytes,
            verifyWorkers: opts.verifyWorkers,
            ...(opts.hostname ? { hostname: opts.hostname } : {}),
            ...(opts.database ? { database: opts.database } : {}),
            ...(opts.signer ? { signer: opts.signer } : {}),
          });
          info(
            `transparency log listening on ${running.url} (data in ${opts.dataDir}, log ID ${running.log.logId})`,
          );
          closeOnSignal(running.close);
        },
      ),
    );

  tlog
    .command('get')
    .description('Print a log entry by index or UUID')
    .option('--rekor-url <url>', 'the log', DEFAULT_URL)
    .option('--log-index <n>', 'the entry index', parseNonNegativeInt)
    .option('--uuid <uuid>', 'the entry UUID')
    .option('--format <format>', 'default (text) or json', 'default')
    .addHelpText(
      'after',
      '\nExamples:\n  sigil tlog get --log-index 0\n  sigil tlog get --uuid 24296fb2... --format json',
    )
    .action(
      action(async (opts: { rekorUrl: string; logIndex?: number; uuid?: string; format: string }) => {
        if ((opts.logIndex === undefined) === (opts.uuid === undefined)) {
          throw new SigilError('BAD_INPUT', 'pass exactly one of --log-index and --uuid');
        }
        const client = new RekorClient(opts.rekorUrl);
        const { uuid, entry } = opts.uuid
          ? await client.entryByUuid(opts.uuid)
          : await client.entryByIndex(opts.logIndex as number);
        const body = JSON.parse(Buffer.from(entry.body, 'base64').toString('utf8')) as unknown;
        if (opts.format === 'json') {
          printResult(
            JSON.stringify({
              Attestation: '',
              AttestationType: '',
              Body: body,
              LogIndex: entry.logIndex,
              IntegratedTime: entry.integratedTime,
              UUID: uuid,
              LogID: entry.logID,
            }),
          );
          return;
        }
        printResult(
          [
            `LogID: ${entry.logID}`,
            `Index: ${entry.logIndex}`,
            `IntegratedTime: ${new Date(entry.integratedTime * 1000).toISOString()}`,
            `UUID: ${uuid}`,
            `Body: ${JSON.stringify(body, null, 2)}`,
          ].join('\n'),
        );
      }),
    );

  tlog
    .command('search')
    .description('Find entries by artifact, digest or public key; prints their UUIDs')
    .option('--rekor-url <url>', 'the log', DEFAULT_URL)
    .option('--sha <digest>', 'sha256:<hex> (or bare hex) of the artifact')
    .option('--artifact <file>', 'the artifact itself (its SHA-256 is searched)')
    .option('--public-key <file>', 'a PEM public key')
    .addHelpText(
      'after',
      '\nExamples:\n  sigil tlog search --artifact release.tgz\n  sigil tlog search --public-key cosign.pub',
    )
    .action(
      action(async (opts: { rekorUrl: string; sha?: string; artifact?: string; publicKey?: string }) => {
        const hash = opts.artifact ? sha256Digest(readUserFile(opts.artifact, 'artifact')) : opts.sha;
        const publicKey = opts.publicKey
          ? publicKeyPem(
              loadPublicKeyPem(readUserFile(opts.publicKey, 'public key').toString(), opts.publicKey),
            )
          : undefined;
        if (!hash && !publicKey) throw new SigilError('BAD_INPUT', 'pass --sha, --artifact or --public-key');
        const uuids = await new RekorClient(opts.rekorUrl).search({
          ...(hash ? { hash } : {}),
          ...(publicKey ? { publicKey } : {}),
        });
        if (uuids.length === 0) info('no matching entries');
        else printResult(uuids.join('\n'));
      }),
    );

  tlog
    .command('verify')
    .description('Monitor the log: check its signed tree head and that it extends the last one seen')
    .option('--rekor-url <url>', 'the log', DEFAULT_URL)
    .option(
      '--log-public-key <file>',
      'the log key (default: SIGSTORE_REKOR_PUBLIC_KEY, else pinned on first use)',
    )
    .option(
      '--state-file <file>',
      'where the last verified tree head is kept',
      join(homedir(), '.sigil', 'tlog-state.json'),
    )
    .option('-o, --output <format>', 'text or json', parseOutput, 'text')
    .addHelpText(
      'after',
      '\nExample:\n  sigil tlog verify --rekor-url http://127.0.0.1:3000   # run it periodically, e.g. from cron',
    )
    .action(
      action(
        async (opts: {
          rekorUrl: string;
          logPublicKey?: string;
          stateFile: string;
          output: 'text' | 'json';
        }) => {
          const client = new RekorClient(opts.rekorUrl);
          const state = readState(opts.stateFile);
          const keyFile = opts.logPublicKey ?? process.env.SIGSTORE_REKOR_PUBLIC_KEY;
          let pem = keyFile ? readUserFile(keyFile, 'log public key').toString() : state?.publicKey;
          if (!pem) {
            pem = await client.publicKey();
            warn(`no log key given: trusting the key the log serves now and pinning it in ${opts.stateFile}`);
          }
          const publicKey = loadPublicKeyPem(pem, keyFile ?? 'log public key');
          const logId = logIdOf(publicKey);
          const head = await client.logInfo();
          const name = /^(\S+) - /.exec(head.signedTreeHead)?.[1] ?? '';
          const checkpoint = verifyCheckpoint(head.signedTreeHead, {
            name,
            keyHint: logId.subarray(0, 4),
            publicKey,
          });
          if (checkpoint.size !== head.treeSize || checkpoint.rootHash.toString('hex') !== head.rootHash) {
            throw new SigilError(
              'TLOG_ENTRY_MISMATCH',
              'the log answered a tree head that differs from its own signed checkpoint',
            );
          }
          if (state && state.treeSize > 0) {
            const proof = await client.consistencyProof(state.treeSize, checkpoint.size);
            verifyConsistency(
              state.treeSize,
              checkpoint.size,
              proof.map((h) => Buffer.from(h, 'hex')),
              Buffer.from(state.rootHash, 'hex'),
              checkpoint.rootHash,
            );
          }
          await writeFileAtomic(
            opts.stateFile,
            JSON.stringify({
              treeSize: checkpoint.size,
              rootHash: head.rootHash,
              publicKey: publicKeyPem(publicKey),
            }),
          );
          const result = {
            verified: true,
            treeSize: checkpoint.size,
            rootHash: head.rootHash,
            previousTreeSize: state?.treeSize ?? null,
          };
          if (opts.output === 'json') printResult(JSON.stringify(result));
          else {
            printResult(
              `Verification Successful!\nActive Tree Size: ${checkpoint.size}\nRoot Hash: ${head.rootHash}`,
            );
            if (state) info(`consistent with the tree of size ${state.treeSize} seen before`);
          }
        },
      ),
    );
}

function parseLogKeyType(value: string): 'ecdsa-p256' | 'ed25519' {
  if (value !== 'ecdsa-p256' && value !== 'ed25519')
    throw new InvalidArgumentError('must be ecdsa-p256 or ed25519');
  return value;
}

interface MonitorState {
  treeSize: number;
  rootHash: string;
  publicKey: string;
}

function readState(path: string): MonitorState | undefined {
  if (!existsSync(path)) return undefined;
  const state = parseJson(readFileSync(path, 'utf8'), path) as MonitorState;
  if (
    !isRecord(state) ||
    typeof state.treeSize !== 'number' ||
    typeof state.rootHash !== 'string' ||
    typeof state.publicKey !== 'string'
  ) {
    throw new SigilError('BAD_JSON', `${path}: not a tlog monitor state file`);
  }
  return state;
}
