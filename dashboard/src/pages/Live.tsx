import { PageHeader } from '../components/ui';
export function LivePage() {
  return <PageHeader title="Live">Coming with the monitoring API.</PageHeader>;
}
