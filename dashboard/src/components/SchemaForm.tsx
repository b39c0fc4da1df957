/**
 * A form rendered from a connector's JSON Schema: strings, numbers, booleans and enums as inputs,
 * nested objects as fieldsets, a `type`-discriminated oneOf (auth methods) as a select plus the chosen
 * variant's fields, and anything else (maps, arrays, unions) as a JSON text area. `writeOnly` fields are
 * secrets: password inputs with autocomplete off, never prefilled.
 */
import { type ReactNode, useState } from 'react';
import { t } from '../i18n';
import { discriminatedVariants, humanize, INVALID_JSON, type JsonSchema, typeOf, type Value } from './schema';

interface Props {
  schema: JsonSchema;
  value: Value;
  onChange: (value: Value) => void;
  /** Prefix of the inputs' ids and names, e.g. `config`. */
  idPrefix: string;
}

export function SchemaForm({ schema, value, onChange, idPrefix }: Props) {
  const variants = discriminatedVariants(schema);
  if (variants) {
    const key = variants[0].key;
    const chosen = variants.find((variant) => variant.value === value[key]) ?? variants[0];
    const selectId = `${idPrefix}-${key}`;
    return (
      <div className="schema-form">
        <div className="field">
          <label htmlFor={selectId}>
            {humanize(chosen.schema.properties?.[key]?.description ?? t('form.method'))}
          </label>
          <select
            id={selectId}
            name={`${idPrefix}.${key}`}
            value={chosen.value}
            onChange={(event) => onChange({ [key]: event.target.value })}
          >
            {variants.map((variant) => (
              <option key={variant.value} value={variant.value}>
                {variant.value} — {variant.schema.description ?? ''}
              </option>
            ))}
          </select>
        </div>
        <ObjectFields
          schema={chosen.schema}
          value={{ ...value, [key]: chosen.value }}
          onChange={onChange}
          idPrefix={idPrefix}
          skip={key}
        />
      </div>
    );
  }
  return (
    <div className="schema-form">
      <ObjectFields schema={schema} value={value} onChange={onChange} idPrefix={idPrefix} />
    </div>
  );
}

/** Required fields first, then simple optional ones, then the complex optional ones folded away. */
function ObjectFields({ schema, value, onChange, idPrefix, skip }: Props & { skip?: string }) {
  const properties = Object.entries(schema.properties ?? {}).filter(([name]) => name !== skip);
  const required = new Set(schema.required ?? []);
  const isSimple = (item: JsonSchema) =>
    ['string', 'integer', 'number', 'boolean', 'enum'].includes(typeOf(item) ?? '');
  const first = properties.filter(([name]) => required.has(name));
  const simple = properties.filter(([name, item]) => !required.has(name) && isSimple(item));
  const complex = properties.filter(([name, item]) => !required.has(name) && !isSimple(item));
  const render = ([name, item]: [string, JsonSchema]) => (
    <PropertyField
      key={name}
      name={name}
      schema={item}
      required={required.has(name)}
      value={value[name]}
      idPrefix={idPrefix}
      onChange={(next) => {
        const copy = { ...value };
        if (next === undefined) delete copy[name];
        else copy[name] = next;
        onChange(copy);
      }}
    />
  );
  return (
    <>
      {first.map(render)}
      {simple.length > 0 || complex.length > 0 ? (
        <details className="optional-fields">
          <summary>{t('form.optional', { count: simple.length + complex.length })}</summary>
          {simple.map(render)}
          {complex.map(render)}
        </details>
      ) : null}
    </>
  );
}

interface FieldProps {
  name: string;
  schema: JsonSchema;
  required: boolean;
  value: unknown;
  idPrefix: string;
  onChange: (value: unknown) => void;
}

function PropertyField({ name, schema, required, value, idPrefix, onChange }: FieldProps) {
  const id = `${idPrefix}-${name}`;
  const path = `${idPrefix}.${name}`;
  const label = (
    <label htmlFor={id}>
      {humanize(name)}
      {required ? (
        <span className="required" aria-hidden="true">
          {' '}
          *
        </span>
      ) : null}
    </label>
  );
  const hint = schema.description ? (
    <div className="hint" id={`${id}-hint`}>
      {schema.description}
    </div>
  ) : null;
  const described = schema.description ? `${id}-hint` : undefined;
  const type = typeOf(schema);
  const placeholder =
    schema.default !== undefined ? t('form.default', { value: JSON.stringify(schema.default) }) : undefined;

  if (schema.const !== undefined) return null;

  if (schema.enum) {
    return (
      <div className="field">
        {label}
        <select
          id={id}
          name={path}
          required={required}
          aria-describedby={described}
          value={value === undefined ? '' : String(value)}
          onChange={(event) => {
            const chosen = schema.enum?.find((option) => String(option) === event.target.value);
            onChange(event.target.value === '' ? undefined : chosen);
          }}
        >
          <option value="">
            {required ? t('form.choose') : placeholder ? `(${placeholder})` : t('form.notSet')}
          </option>
          {schema.enum.map((option) => (
            <option key={String(option)} value={String(option)}>
              {String(option)}
            </option>
          ))}
        </select>
        {hint}
      </div>
    );
  }

  if (type === 'boolean') {
    return (
      <div className="field checkbox">
        <input
          id={id}
          name={path}
          type="checkbox"
          aria-describedby={described}
          checked={value === undefined ? schema.default === true : value === true}
          onChange={(event) => onChange(event.target.checked)}
        />
        {label}
        {hint}
      </div>
    );
  }

  if (type === 'string' || type === 'integer' || type === 'number') {
    const secret = schema.writeOnly === true || schema.format === 'password';
    const numeric = type !== 'string';
    return (
      <div className="field">
        {label}
        <input
          id={id}
          name={path}
          type={
            secret
              ? 'password'
              : numeric
                ? 'number'
                : schema.format === 'uri'
                  ? 'url'
                  : schema.format === 'email'
                    ? 'email'
                    : 'text'
          }
          autoComplete={secret ? 'new-password' : 'off'}
          required={required}
          aria-describedby={described}
          placeholder={secret ? t('form.secretPlaceholder') : placeholder}
          min={schema.minimum}
          max={schema.maximum}
          step={type === 'integer' ? 1 : undefined}
          minLength={schema.minLength}
          maxLength={schema.maxLength}
          value={value === undefined ? '' : String(value)}
          onChange={(event) => {
            const text = event.target.value;
            if (text === '') onChange(undefined);
            else onChange(numeric ? Number(text) : text);
          }}
        />
        {hint}
      </div>
    );
  }

  if (type === 'object' && schema.properties && !schema.additionalProperties) {
    return (
      <fieldset className="nested">
        <legend>{humanize(name)}</legend>
        {hint}
        <ObjectFields
          schema={schema}
          value={(value as Value) ?? {}}
          idPrefix={id}
          onChange={(next) => onChange(Object.keys(next).length > 0 ? next : undefined)}
        />
      </fieldset>
    );
  }

  return (
    <JsonField
      id={id}
      path={path}
      label={label}
      hint={hint}
      described={described}
      value={value}
      onChange={onChange}
    />
  );
}

function JsonField({
  id,
  path,
  label,
  hint,
  described,
  value,
  onChange,
}: {
  id: string;
  path: string;
  label: ReactNode;
  hint: ReactNode;
  described: string | undefined;
  value: unknown;
  onChange: (value: unknown) => void;
}) {
  const [text, setText] = useState(
    value === undefined || value === INVALID_JSON ? '' : JSON.stringify(value, null, 2),
  );
  const [problem, setProblem] = useState<string>();
  return (
    <div className="field">
      {label}
      <textarea
        id={id}
        name={path}
        rows={3}
        className="mono"
        aria-describedby={described}
        aria-invalid={problem ? true : undefined}
        placeholder="JSON"
        value={text}
        onChange={(event) => {
          const next = event.target.value;
          setText(next);
          if (next.trim() === '') {
            setProblem(undefined);
            onChange(undefined);
            return;
          }
          try {
            onChange(JSON.parse(next));
            setProblem(undefined);
          } catch (error) {
            setProblem((error as Error).message);
            onChange(INVALID_JSON);
          }
        }}
      />
      {problem ? <div className="field-error">{t('form.invalidJson', { problem })}</div> : null}
      {hint}
    </div>
  );
}
