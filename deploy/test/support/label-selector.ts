// Kubernetes label selectors, as the API server matches them: matchLabels and matchExpressions (In, NotIn, Exists,
// DoesNotExist) must all hold. An empty selector selects every pod where the API says so (a NetworkPolicy's
// podSelector, a PodDisruptionBudget's selector); a Service without a selector selects none, which its caller says.
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export function matches(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpression = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const value = labels[key];
    switch (operator) {
      case 'In':
        return value !== undefined && values.includes(value);
      case 'NotIn':
        return value === undefined || !values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        throw new Error(`unknown label selector operator ${operator}`);
    }
  });
  return byLabel && byExpression;
}
