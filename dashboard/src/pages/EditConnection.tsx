import { type FormEvent, useState } from 'react';
import { ADMIN, api } from '../api';
import { SchemaForm } from '../components/SchemaForm';
import { compact, hasInvalidJson, splitSecrets, type Value } from '../components/schema';
import { Drawer, ErrorBox, Field, Loaded } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { t } from '../i18n';
import type { Connection, Connector } from '../types';

const ENVIRONMENTS = ['development', 'staging', 'production'];

export interface Basics {
  name: string;
  description: string;
  environment: string;
}

/** Name, description and environment: the fields every connection has, on create and on edit. */
export function BasicFields({
  idPrefix,
  value,
  onChange,
}: {
  idPrefix: string;
  value: Basics;
  onChange: (value: Basics) => void;
}) {
  const set = (field: keyof Basics) => (event: { target: { value: string } }) =>
    onChange({ ...value, [field]: event.target.value });
  return (
    <>
      <Field label={t('connections.name')} htmlFor={`${idPrefix}-name`}>
        <input id={`${idPrefix}-name`} required maxLength={255} value={value.name} onChange={set('name')} />
      </Field>
      <Field label={t('connections.description')} htmlFor={`${idPrefix}-description`}>
        <input id={`${idPrefix}-description`} value={value.description} onChange={set('description')} />
      </Field>
      <Field label={t('connections.environment')} htmlFor={`${idPrefix}-environment`}>
        <select id={`${idPrefix}-environment`} value={value.environment} onChange={set('environment')}>
          {ENVIRONMENTS.map((item) => (
            <option key={item}>{item}</option>
          ))}
        </select>
      </Field>
    </>
  );
}

/**
 * Edit a connection. Credentials are never shown, so they are replaced only when the user asks to:
 * then the whole auth method is entered again and sent (`credentials` replace the stored ones whole).
 */
export function EditConnection({
  connection,
  onClose,
  onSaved,
}: {
  connection: Connection;
  onClose: () => void;
  onSaved: () => void;
}) {
  const connector = useLoad(
    (signal) =>
      api.get<Connector>(
        `${ADMIN}/connectors/${encodeURIComponent(connection.connectorId)}`,
        undefined,
        signal,
      ),
    [connection.connectorId],
  );
  const [basics, setBasics] = useState<Basics>({
    name: connection.name,
    description: connection.description ?? '',
    environment: connection.environment,
  });
  const [config, setConfig] = useState<Value>(connection.config ?? {});
  const [replaceAuth, setReplaceAuth] = useState(false);
  const [auth, setAuth] = useState<Value>({ ...(connection.authConfig ?? {}) });

  const save = useAction(async () => {
    const patch: Record<string, unknown> = {
      name: basics.name.trim(),
      description: basics.description.trim() || null,
      environment: basics.environment,
      config: (compact(config) as Value | undefined) ?? {},
    };
    if (replaceAuth && connector.data?.authSchema) {
      const { settings, secrets } = splitSecrets(connector.data.authSchema, auth);
      patch.authConfig = (compact(settings) as Value | undefined) ?? null;
      patch.credentials = (compact(secrets) as Value | undefined) ?? null;
    } else if (connection.authConfig) {
      // The platform checks a patch against the connector's auth schema only with the stored secrets
      // opened, which it does when authConfig is sent: send the unchanged settings (an audited decryption).
      patch.authConfig = connection.authConfig;
    }
    await api.patch(`${ADMIN}/connections/${connection.id}`, patch);
    onSaved();
  });
  const invalid = hasInvalidJson(config) || (replaceAuth && hasInvalidJson(auth));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!invalid) void save.run();
  };

  return (
    <Drawer title={t('edit.title', { name: connection.name })} onClose={onClose}>
      <Loaded state={connector}>
        {(found) => (
          <form onSubmit={submit} className="stack" aria-label={t('edit.form')}>
            <BasicFields idPrefix="edit" value={basics} onChange={setBasics} />
            <fieldset>
              <legend>{t('connections.configuration')}</legend>
              <SchemaForm
                schema={found.configSchema}
                value={config}
                onChange={setConfig}
                idPrefix="edit-config"
              />
            </fieldset>
            {found.authSchema ? (
              <fieldset>
                <legend>{t('connections.authentication')}</legend>
                <div className="field checkbox">
                  <input
                    id="edit-replace-auth"
                    type="checkbox"
                    checked={replaceAuth}
                    onChange={(event) => setReplaceAuth(event.target.checked)}
                  />
                  <label htmlFor="edit-replace-auth">{t('edit.replaceAuth')}</label>
                  <div className="hint">{t('edit.replaceHint')}</div>
                </div>
                {replaceAuth ? (
                  <SchemaForm
                    schema={found.authSchema}
                    value={auth}
                    onChange={setAuth}
                    idPrefix="edit-auth"
                  />
                ) : null}
              </fieldset>
            ) : null}
            <ErrorBox error={save.error} />
            <div className="form-actions">
              <button type="button" onClick={onClose}>
                {t('ui.cancel')}
              </button>
              <button type="submit" className="primary" disabled={save.busy || invalid}>
                {save.busy ? t('edit.saving') : t('edit.save')}
              </button>
            </div>
          </form>
        )}
      </Loaded>
    </Drawer>
  );
}
