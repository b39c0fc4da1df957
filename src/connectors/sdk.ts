/**
 * The one shape of a connector: declared once as data plus small functions. The catalog table, the
 * admin API's validation and the dashboard's forms all read these declarations.
 */
export type ConnectorType = 'rest' | 'soap' | 'grpc' | 'database' | 'file' | 'email' | 'custom';

/** A JSON Schema object; every field should carry a `description` so forms and OpenAPI can show it. */
export type JsonSchema = Record<string, unknown>;

export interface ConnectorDefinition {
  /** Catalog id, e.g. `rest`, `salesforce`: stable, used by API callers as `connectorId`. */
  id: string;
  version: string;
  displayName: string;
  description: string;
  type: ConnectorType;
  category: string;
  provider?: string;
  iconUrl?: string;
  docsUrl?: string;
  /** Schema of `connection.config`. */
  config: JsonSchema;
  /**
   * Schema of the auth a connection supplies, validated against `{ ...authConfig, ...credentials }`:
   * non-secret settings go in `authConfig`, secrets (fields marked `writeOnly`) in `credentials`.
   */
  auth: JsonSchema;
  supportedMethods?: string[];
  /** The provider's own documented limits, e.g. `{ requestsPerMinute: 100 }`. */
  rateLimits?: Record<string, unknown>;
}

export function defineConnector(definition: ConnectorDefinition): Readonly<ConnectorDefinition> {
  return Object.freeze(definition);
}
