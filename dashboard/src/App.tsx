import { useEffect, useState } from 'react';
import { onUnauthorized, storedKey, storeKey } from './api';
import { AlertsPage } from './pages/Alerts';
import { ConnectionDetailPage } from './pages/ConnectionDetail';
import { ConnectionsPage } from './pages/Connections';
import { ConnectorsPage } from './pages/Connectors';
import { ExecutionsPage } from './pages/Executions';
import { LivePage } from './pages/Live';
import { OverviewPage } from './pages/Overview';
import { SignIn } from './pages/SignIn';
import { TransformPage } from './pages/Transform';
import { WebhooksPage } from './pages/Webhooks';
import { Link, navigate, useLocation } from './router';

const NAV = [
  { href: '/', label: 'Overview' },
  { href: '/connections', label: 'Connections' },
  { href: '/executions', label: 'Executions' },
  { href: '/live', label: 'Live' },
  { href: '/webhooks', label: 'Webhooks' },
  { href: '/alerts', label: 'Alerts' },
  { href: '/transform', label: 'Transform' },
  { href: '/connectors', label: 'Connector library' },
];

function page(path: string) {
  const connection = path.match(/^\/connections\/([0-9a-f-]{36})$/i);
  if (connection) return <ConnectionDetailPage id={connection[1]} />;
  switch (path) {
    case '/':
      return <OverviewPage />;
    case '/connections':
      return <ConnectionsPage />;
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
          This page does not exist. <Link href="/">Back to the overview</Link>.
        </div>
      );
  }
}

export function App() {
  const [key, setKey] = useState(storedKey());
  const [menuOpen, setMenuOpen] = useState(false);
  const { path } = useLocation();

  useEffect(
    () =>
      onUnauthorized(() => {
        storeKey(null);
        setKey(null);
      }),
    [],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: close the menu whenever the page changes
  useEffect(() => {
    setMenuOpen(false);
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [path]);

  const current = NAV.find((item) => (item.href === '/' ? path === '/' : path.startsWith(item.href)));
  useTitle(key ? current?.label : 'Sign in');

  if (!key) {
    return (
      <SignIn
        onSignedIn={(value) => {
          storeKey(value);
          setKey(value);
        }}
      />
    );
  }

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
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
          <span className="sr-only">Menu</span>
        </button>
        <Link href="/" className="brand">
          <span className="logo" aria-hidden="true">
            K
          </span>{' '}
          KRYONIX <span className="muted">Integrations</span>
        </Link>
        <button
          type="button"
          className="small"
          onClick={() => {
            storeKey(null);
            setKey(null);
            navigate('/');
          }}
        >
          Sign out
        </button>
      </header>
      <nav id="nav" className={`sidebar ${menuOpen ? 'open' : ''}`} aria-label="Main">
        <ul>
          {NAV.map((item) => (
            <li key={item.href}>
              <Link href={item.href} aria-current={current?.href === item.href ? 'page' : undefined}>
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {page(path)}
      </main>
    </div>
  );
}

function useTitle(label: string | undefined) {
  useEffect(() => {
    document.title = label ? `${label} · KRYONIX` : 'KRYONIX Integrations';
  }, [label]);
}
