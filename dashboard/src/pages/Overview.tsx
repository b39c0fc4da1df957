import { ADMIN, api, type Page } from '../api';
import { Card, Kpi, PageHeader } from '../components/ui';
import { useLoad } from '../hooks';
import type { Connection } from '../types';
export function OverviewPage() {
  const connections = useLoad(
    (signal) => api.get<Page<Connection>>(`${ADMIN}/connections`, { limit: 200 }, signal),
    [],
  );
  const items = connections.data?.items ?? [];
  return (
    <>
      <PageHeader title="Overview" />
      <div className="kpis">
        <Kpi label="Connections" value={items.length} />
        <Kpi label="Active" value={items.filter((item) => item.status === 'active').length} />
      </div>
      <Card title="Calls">Coming with the monitoring API.</Card>
    </>
  );
}
