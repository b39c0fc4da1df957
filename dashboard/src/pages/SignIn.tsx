import { type FormEvent, useState } from 'react';
import { ADMIN, request } from '../api';
import { ErrorBox } from '../components/ui';
import { t } from '../i18n';

/** Asks for an API key, checks it against the platform, and keeps it for this browser tab only. */
export function SignIn({ onSignedIn }: { onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) return;
    setBusy(true);
    setError(undefined);
    try {
      await request('GET', `${ADMIN}/connectors`, { key: trimmed });
      onSignedIn(trimmed);
    } catch (reason) {
      setError(reason as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <form className="card" onSubmit={submit} aria-labelledby="sign-in-title">
        <div className="brand large" aria-hidden="true">
          <span className="logo">K</span> KRYONIX
        </div>
        <h1 id="sign-in-title">{t('signIn.title')}</h1>
        <p className="muted">{t('signIn.intro')}</p>
        <div className="field">
          <label htmlFor="api-key">{t('signIn.apiKey')}</label>
          <input
            id="api-key"
            name="apiKey"
            type="password"
            autoComplete="off"
            spellCheck={false}
            required
            value={key}
            onChange={(event) => setKey(event.target.value)}
            placeholder="krx_…"
          />
          <div className="hint">{t('signIn.hint')}</div>
        </div>
        <ErrorBox error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('signIn.checking') : t('signIn.submit')}
        </button>
      </form>
    </main>
  );
}
