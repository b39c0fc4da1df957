/** PostgreSQL error codes the services react to (drizzle wraps the driver's error as `cause`). */
function pgCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: string } }).cause ?? error;
  return (cause as { code?: string }).code;
}

export const isUniqueViolation = (error: unknown): boolean => pgCode(error) === '23505';
export const isForeignKeyViolation = (error: unknown): boolean => pgCode(error) === '23503';
