import { useEffect, useState } from 'react';
import { ADMIN, onUnauthorized, request, storedKey, storeKey } from './api';
import { LanguageSwitch, type MessageKey, t } from './i18n';
import { AlertsPage } from './pages/Alerts';
import { ConnectionDetailPage } from './pages/ConnectionDetail';
import { ConnectionsPage } from './pages/Connections';
import { ConnectorsPage } from './pages/Connectors';
import { ExecutionsPage } from './pages/Executions';
import { LivePage } from './pages/Live';
import { OverviewPage } from './pages/Overview';
import { SignIn } from './pages/SignIn';
import { TesterPage } from './pages/Tester';
import { TransformPage } from './pages/Transform';
import { WebhooksPage } from './pages/Webhooks';
import { type Me, MeContext, ReadOnlyNote } from './role';
import { Link, navigate, useLocation } from './router';

const NAV: { href: string; label: MessageKey }[] = [
  { href: '/', label: 'nav.overview' },
  { href: '/connections', label: 'nav.connections' },
  { href: '/tester', label: 'nav.tester' },
  { href: '/executions', label: 'nav.executions' },
  { href: '/live', label: 'nav.live' },
  { href: '/webhooks', label: 'nav.webhooks' },
  { href: '/alerts', label: 'nav.alerts' },
  { href: '/transform', label: 'nav.transform' },
  { href: '/connectors', label: 'nav.connectors' },
];

function page(path: string) {
  const connection = path.match(/^\/connections\/([0-9a-f-]{36})$/i);
  if (connection) return <ConnectionDetailPage id={connection[1]} />;
  switch (path) {
    case '/':
      return <OverviewPage />;
    case '/connections':
      return <ConnectionsPage />;
    case '/tester':
      return <TesterPage />;
    case '/executions':
      return <ExecutionsPage />;
    case '/live':
      return <LivePage />;
    case '/webhooks':
      return <WebhooksPage />;
    case '/alerts':
      return <AlertsPage />;
    case '/transform':
      return <TransformPage />;
    case '/connectors':
      return <ConnectorsPage />;
    default:
      return (
        <div className="empty">
          {t('app.notFound')} <Link href="/">{t('app.backToOverview')}</Link>.
        </div>
      );
  }
}

export function App() {
  const [key, setKey] = useState(storedKey());
  const [menuOpen, setMenuOpen] = useState(false);
  const [me, setMe] = useState<Me | null>(null);
  const { path } = useLocation();

  useEffect(
    () =>
      onUnauthorized(() => {
        storeKey(null);
        setKey(null);
      }),
    [],
  );
  useEffect(() => {
    setMe(null);
    if (!key) return;
    let live = true;
    request<Me>('GET', `${ADMIN}/me`)
      .then((value) => {
        if (live) setMe(value);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [key]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: close the menu whenever the page changes
  useEffect(() => {
    setMenuOpen(false);
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [path]);

  const current = NAV.find((item) => (item.href === '/' ? path === '/' : path.startsWith(item.href)));
  useTitle(key ? (current ? t(current.label) : undefined) : t('signIn.pageTitle'));

  if (!key) {
    return (
      <>
        <div className="floating-language">
          <LanguageSwitch />
        </div>
        <SignIn
          onSignedIn={(value) => {
            storeKey(value);
            setKey(value);
          }}
        />
      </>
    );
  }

  return (
    <MeContext.Provider value={me}>
      <div className="shell">
        <a className="skip" href="#main">
          {t('app.skip')}
        </a>
        <header className="topbar">
          <button
            type="button"
            className="icon menu-button"
            aria-expanded={menuOpen}
            aria-controls="nav"
            onClick={() => setMenuOpen((open) => !open)}
          >
            <span aria-hidden="true">☰</span>
            <span className="sr-only">{t('app.menu')}</span>
          </button>
          <Link href="/" className="brand">
            <span className="logo" aria-hidden="true">
              K
            </span>{' '}
            KRYONIX <span className="muted">Integrations</span>
          </Link>
          {me?.role === 'viewer' ? <span className="badge warn">{t('app.readOnlyBadge')}</span> : null}
          <LanguageSwitch />
          <button
            type="button"
            className="small"
            onClick={() => {
              storeKey(null);
              setKey(null);
              navigate('/');
            }}
          >
            {t('app.signOut')}
          </button>
        </header>
        <nav id="nav" className={`sidebar ${menuOpen ? 'open' : ''}`} aria-label={t('nav.main')}>
          <ul>
            {NAV.map((item) => (
              <li key={item.href}>
                <Link href={item.href} aria-current={current?.href === item.href ? 'page' : undefined}>
                  {t(item.label)}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          {me?.role === 'viewer' ? <ReadOnlyNote /> : null}
          {page(path)}
        </main>
      </div>
    </MeContext.Provider>
  );
}

function useTitle(label: string | undefined) {
  useEffect(() => {
    document.title = label ? `${label} · KRYONIX` : 'KRYONIX Integrations';
  }, [label]);
}
