import { PageHeader } from '../components/ui';
export function AlertsPage() {
  return <PageHeader title="Alerts">Coming with the monitoring API.</PageHeader>;
}
