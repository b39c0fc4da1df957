/** Who is signed in (GET /api/integrations/me): a viewer key gets a read-only dashboard. */
import { createContext, useContext } from 'react';
import { t } from './i18n';

export interface Me {
  tenantId: string | null;
  role: 'owner' | 'admin' | 'editor' | 'viewer';
  kind: 'api_key' | 'jwt';
  subject: string;
}

export const MeContext = createContext<Me | null>(null);

/** Whether mutating controls (create, edit, delete, test, retry, acknowledge…) are offered. */
export function useCanEdit(): boolean {
  const me = useContext(MeContext);
  // Offered only once the role is known, so a viewer never sees them flash by.
  return me !== null && me.role !== 'viewer';
}

/** The short note shown instead of mutating controls. */
export function ReadOnlyNote() {
  return (
    <p className="read-only-note" role="note">
      {t('app.readOnly')}
    </p>
  );
}
