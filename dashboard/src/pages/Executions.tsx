import { PageHeader } from '../components/ui';
export function ExecutionsPage() {
  return <PageHeader title="Executions">Coming with the monitoring API.</PageHeader>;
}
export function RecentExecutions(_props: { connectionId: string; refresh: number }) {
  return <p className="muted">Coming with the monitoring API.</p>;
}
