// The Prometheus text-format parser the observability checker judges with.
import { describe, expect, it } from 'vitest';
import { histogramProblems, histogramsBy, parsePrometheusText, sumBy } from '../core/prometheus.js';

const text = `# HELP http_requests_total Requests answered.
# TYPE http_requests_total counter
http_requests_total{route="/orders",method="GET",code="200"} 37
http_requests_total{route="/orders/{id}",method="GET",code="404"} 5
http_requests_total{route="/orders/{id}",method="GET",code="200",instance="a"} 40
http_requests_total{route="/orders/{id}",method="GET",code="200",instance="b"} 5 1700000000000
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{route="/orders",le="0.1"} 30
http_request_duration_seconds_bucket{route="/orders",le="0.5"} 36
http_request_duration_seconds_bucket{route="/orders",le="+Inf"} 37
http_request_duration_seconds_sum{route="/orders"} 2.5
http_request_duration_seconds_count{route="/orders"} 37
odd_metric{path="a \\"quoted\\" \\\\ value\\nnext"} 1
this is not a sample
`;

describe('Prometheus text format', () => {
  const e = parsePrometheusText(text);

  it('reads families with their types and samples, timestamps included', () => {
    const c = e.families.get('http_requests_total')!;
    expect(c.type).toBe('counter');
    expect(c.help).toBe('Requests answered.');
    expect(c.samples).toHaveLength(4);
    expect(c.samples[3]!.timestamp).toBe(1700000000000);
  });

  it('sums over labels it is not asked about', () => {
    const byRoute = sumBy(e.families.get('http_requests_total'), ['route', 'code']);
    const values = [...byRoute.values()].map((v) => `${v.labels.route} ${v.labels.code} ${v.value}`).sort();
    expect(values).toEqual(['/orders 200 37', '/orders/{id} 200 45', '/orders/{id} 404 5']);
  });

  it('groups a histogram and finds nothing wrong with a cumulative one', () => {
    const h = [...histogramsBy(e.families.get('http_request_duration_seconds'), ['route']).values()][0]!;
    expect(h.count).toBe(37);
    expect(h.sum).toBe(2.5);
    expect(histogramProblems(h)).toEqual([]);
  });

  it('flags a histogram whose buckets are not cumulative', () => {
    const bad = parsePrometheusText(`# TYPE x histogram
x_bucket{le="0.1"} 5
x_bucket{le="1"} 3
x_bucket{le="+Inf"} 5
x_sum 1
x_count 5
`);
    const h = [...histogramsBy(bad.families.get('x'), []).values()][0]!;
    expect(histogramProblems(h).length).toBeGreaterThan(0);
  });

  it('unescapes label values, treats a family without TYPE as untyped, reports bad lines', () => {
    const odd = e.families.get('odd_metric')!;
    expect(odd.type).toBe('untyped');
    expect(odd.samples[0]!.labels.path).toBe('a "quoted" \\ value\nnext');
    expect(e.errors).toHaveLength(1);
    expect(e.errors[0]).toMatch(/^line 14:/);
  });
});
