import { ApiError } from '../api';
import { t } from '../i18n';
import { ErrorBox } from './ui';

/** A monitoring route this platform build does not have yet answers 404 KRX_ROUTE_NOT_FOUND. */
export function isMissingRoute(error: Error | undefined): boolean {
  return error instanceof ApiError && error.status === 404 && error.code === 'KRX_ROUTE_NOT_FOUND';
}

export function MonitoringError({ error, onRetry }: { error: Error | undefined; onRetry?: () => void }) {
  if (isMissingRoute(error)) {
    return <div className="empty">{t('monitoring.unavailable')}</div>;
  }
  return <ErrorBox error={error} onRetry={onRetry} />;
}
