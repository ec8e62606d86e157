/**
 * The log's health: its size, the latest checkpoint (signature checked here), entries per minute, and the
 * recent checkpoints, each shown consistent with the one before it by a consistency proof checked here.
 */
import { getJson, type LogHealth } from '../api.js';
import { fromHex, toHex } from '../bytes.js';
import { useLoad } from '../hooks.js';
import { logKey } from '../log-key.js';
import { Bars, Copyable, Fields, Show } from '../ui.js';
import { parseCheckpoint, verifyCheckpointSignature, verifyConsistency } from '../verify.js';

interface CheckedCheckpoint {
  size: number;
  rootHash: string;
  signature: string;
  /** Against the next older checkpoint listed. */
  consistency: string;
  ok: boolean;
}

async function loadHealth(): Promise<{ health: LogHealth; checkpoints: CheckedCheckpoint[] }> {
  const [health, key] = await Promise.all([getJson<LogHealth>('log/health'), logKey()]);
  const checkpoints = await Promise.all(
    health.checkpoints.map(async (c, i): Promise<CheckedCheckpoint> => {
      let ok = true;
      let signature: string;
      try {
        const parsed = parseCheckpoint(c.note);
        if (parsed.size !== c.size || toHex(parsed.root) !== c.rootHash)
          throw new Error('the note is not this checkpoint');
        signature = `signed by ${await verifyCheckpointSignature(parsed, key)}`;
      } catch (err) {
        ok = false;
        signature = `not verified: ${(err as Error).message}`;
      }
      const older = health.checkpoints[i + 1];
      let consistency = '—';
      if (older && older.size > 0) {
        try {
          const proof = await getJson<{ rootHash: string; hashes: string[] }>('log/proof', {
            firstSize: older.size,
            lastSize: c.size,
          });
          await verifyConsistency(
            older.size,
            c.size,
            fromHex(older.rootHash),
            fromHex(c.rootHash),
            proof.hashes.map(fromHex),
          );
          consistency = `extends size ${older.size}`;
        } catch (err) {
          ok = false;
          consistency = `NOT consistent with size ${older.size}: ${(err as Error).message}`;
        }
      }
      return { size: c.size, rootHash: c.rootHash, signature, consistency, ok };
    }),
  );
  return { health, checkpoints };
}

export function HealthPage() {
  const loaded = useLoad(loadHealth, 'health');
  return (
    <section aria-labelledby="health-title">
      <h1 id="health-title">Log health</h1>
      <Show loaded={loaded}>
        {({ health, checkpoints }) => (
          <>
            <p
              class={`verdict ${checkpoints.every((c) => c.ok) ? 'ok' : 'bad'}`}
              role="status"
              data-testid="health-verdict"
            >
              {checkpoints.every((c) => c.ok)
                ? `✔ the latest ${checkpoints.length} checkpoints are signed by the log and consistent`
                : '✘ a checkpoint failed its checks (see below)'}
            </p>
            <Fields
              rows={[
                ['Tree size', health.treeSize.toLocaleString('en')],
                ['Root hash', <Copyable text={health.rootHash} />],
                ['Tree ID', health.treeId],
                ['Log ID', <Copyable text={health.logId} />],
                ['This replica', health.integrating ? 'integrates entries' : 'serves reads'],
              ]}
            />
            <Bars
              label="Entries integrated per minute"
              series={health.entriesPerMinute.map((m) => ({
                minute: m.minute,
                values: [{ name: 'entries', count: m.count }],
              }))}
            />
            <h2>Latest checkpoint</h2>
            <pre>{health.signedTreeHead}</pre>
            <h2>Recent checkpoints</h2>
            <table>
              <thead>
                <tr>
                  <th scope="col">Size</th>
                  <th scope="col">Root hash</th>
                  <th scope="col">Signature</th>
                  <th scope="col">Consistency</th>
                </tr>
              </thead>
              <tbody>
                {checkpoints.map((c) => (
                  <tr key={c.size} class={c.ok ? '' : 'bad'}>
                    <td>{c.size}</td>
                    <td class="mono">{c.rootHash.slice(0, 16)}…</td>
                    <td>{c.signature}</td>
                    <td>{c.consistency}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Show>
    </section>
  );
}
