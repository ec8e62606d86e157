/**
 * "What would `sigil verify` say?": a public key, or a certificate identity and OIDC issuer, sent to the
 * console server, which verifies the image's cosign signatures exactly as `sigil verify` does and forgets
 * the question. The answer is one line: verified by whom, or not verified and why.
 */
import { useState } from 'preact/hooks';
import { postJson } from '../api.js';

type Answer = { verified: true; digest: string; signers: string[] } | { verified: false; reason: string };

type Mode = 'key' | 'identity';

export function VerifyForm(props: { reference: string }) {
  const [mode, setMode] = useState<Mode>('key');
  const [key, setKey] = useState('');
  const [identity, setIdentity] = useState('');
  const [issuer, setIssuer] = useState('');
  const [ignoreTlog, setIgnoreTlog] = useState(false);
  const [answer, setAnswer] = useState<Answer | { error: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const input = (set: (value: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setAnswer(undefined);
    try {
      const question = mode === 'key' ? { key } : { identity, issuer };
      setAnswer(await postJson<Answer>('verify', { ref: props.reference, ignoreTlog, ...question }));
    } catch (err) {
      setAnswer({ error: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="verify-form" onSubmit={submit} aria-labelledby="verify-title">
      <h2 id="verify-title">Would sigil verify accept it?</h2>
      <fieldset>
        <legend>Verify with</legend>
        <label>
          <input type="radio" name="mode" checked={mode === 'key'} onChange={() => setMode('key')} /> a public
          key (--key)
        </label>
        <label>
          <input
            type="radio"
            name="mode"
            checked={mode === 'identity'}
            onChange={() => setMode('identity')}
          />{' '}
          a certificate identity and OIDC issuer (keyless)
        </label>
      </fieldset>
      {mode === 'key' ? (
        <label class="grow">
          Public key (PEM)
          <textarea
            name="key"
            rows={5}
            value={key}
            placeholder="-----BEGIN PUBLIC KEY-----"
            onInput={input(setKey)}
          />
        </label>
      ) : (
        <>
          <label class="grow">
            Certificate identity
            <input name="identity" value={identity} onInput={input(setIdentity)} />
          </label>
          <label class="grow">
            OIDC issuer
            <input name="issuer" value={issuer} onInput={input(setIssuer)} />
          </label>
        </>
      )}
      <label>
        <input
          type="checkbox"
          checked={ignoreTlog}
          onChange={(e) => setIgnoreTlog((e.target as HTMLInputElement).checked)}
        />{' '}
        accept signatures that are not in a transparency log (--insecure-ignore-tlog)
      </label>
      <button type="submit" disabled={busy}>
        Verify
      </button>
      {answer && (
        <p
          class={`verdict ${'verified' in answer && answer.verified ? 'ok' : 'bad'}`}
          role="status"
          data-testid="verify-verdict"
        >
          {'error' in answer
            ? `✘ ${answer.error}`
            : answer.verified
              ? `✔ verified by ${answer.signers.join(', ')}`
              : `✘ not verified: ${answer.reason}`}
        </p>
      )}
    </form>
  );
}
