/** What the database connector needs of a driver: one parameterised statement, in a transaction. */
export interface DatabaseSettings {
  driver: 'postgres' | 'mysql';
  host: string;
  port?: number;
  database: string;
  ssl?: boolean;
  readOnly?: boolean;
  statementTimeoutMs?: number;
  rowLimit?: number;
  poolSize?: number;
  statements?: Record<string, { sql: string; description?: string; readOnly?: boolean }>;
}

export interface StatementRun {
  sql: string;
  params: unknown[];
  readOnly: boolean;
  timeoutMs: number;
  rowLimit: number;
}

export interface StatementResult {
  rows: Record<string, unknown>[];
  rowCount: number;
  truncated: boolean;
}

export interface DatabaseDriver {
  run(statement: StatementRun): Promise<StatementResult>;
  close(): Promise<void>;
}

export interface DriverTarget {
  /** The checked address the pool connects to (SSRF guard); `host` is kept for TLS server names. */
  address: string;
  settings: DatabaseSettings;
  user: string;
  password: string;
}
