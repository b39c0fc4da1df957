/** The README's connector table, generated from the definitions so it cannot drift (`npm run docs:tables`; test/readme.test.ts checks it). */
import { BUILT_IN_CONNECTORS } from './registry.js';
import type { JsonSchema } from './sdk.js';

function authMethods(schema: JsonSchema): string[] {
  const variants = (schema.oneOf as JsonSchema[] | undefined) ?? [schema];
  return variants.map((variant) =>
    String(((variant.properties as Record<string, JsonSchema>)?.type as { const?: string })?.const ?? '?'),
  );
}

export function connectorTable(): string {
  const rows = BUILT_IN_CONNECTORS.map((connector) => {
    const actions = connector.actions
      .map((action) => `\`${action.name}\` (${action.classification})`)
      .join(', ');
    return `| \`${connector.id}\` | ${connector.version} | ${connector.displayName} | ${authMethods(
      connector.auth,
    )
      .map((m) => `\`${m}\``)
      .join(', ')} | ${actions} |`;
  });
  return ['| id | version | name | auth methods | actions |', '|---|---|---|---|---|', ...rows].join('\n');
}
