/** Statistics, the metric definitions and the printed table. */

export function median(values) {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Nearest-rank percentile of an array sorted ascending. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return undefined;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

const thousands = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Three significant digits, thousands separators above 1000. */
export function number(value) {
  if (value === undefined || value === null || Number.isNaN(value)) return 'n/a';
  const size = Math.abs(value);
  if (size >= 1000) return thousands.format(value);
  if (size >= 100) return value.toFixed(0);
  if (size >= 10) return value.toFixed(1);
  if (size >= 1) return value.toFixed(2);
  if (size === 0) return '0';
  return value.toPrecision(2);
}

/**
 * The metrics, in table order. `better`: which direction wins. `target`: the
 * issue's target for the contender marked `targets` (ratio to the baseline, or
 * an exact value). `sum`: summed over runs instead of the median.
 */
export function metricDefinitions(config) {
  const small = config.smallClients.toLocaleString('en-US');
  const big = config.bigClients.toLocaleString('en-US');
  const tput = `${config.throughputClients.toLocaleString('en-US')} × ${config.events.toLocaleString('en-US')}`;
  const stalled = `${config.throughputClients.toLocaleString('en-US')} × ${config.stalledEvents.toLocaleString('en-US')}`;
  const broadcast = (key, n, targets = {}) => [
    {
      key: `${key}.lastMs`,
      label: `Broadcast to ${n}: time until the last client has it`,
      unit: 'ms',
      better: 'lower',
      target: targets.last,
    },
    { key: `${key}.p50Ms`, label: `Broadcast to ${n}: per-client latency p50`, unit: 'ms', better: 'lower' },
    { key: `${key}.p99Ms`, label: `Broadcast to ${n}: per-client latency p99`, unit: 'ms', better: 'lower' },
    { key: `${key}.cpuMs`, label: `Broadcast to ${n}: server CPU`, unit: 'ms', better: 'lower', target: targets.cpu },
    {
      key: `${key}.blockMs`,
      label: `Broadcast to ${n}: longest event-loop block`,
      unit: 'ms',
      better: 'lower',
      target: targets.block,
    },
    {
      key: `${key}.syncMs`,
      label: `Broadcast to ${n}: publish handler, synchronous part`,
      unit: 'ms',
      better: 'lower',
    },
  ];
  return [
    ...broadcast('small', small),
    ...broadcast('big', big, {
      last: { max: 1.2, text: '≤ 1.2× raw' },
      cpu: { max: 1.2, text: '≤ 1.2× raw' },
      block: { max: 1.0, text: '≤ 1.0× raw' },
    }),
    {
      key: 'tput.eventsPerSec',
      label: `Throughput ${tput} events: delivered events/s`,
      unit: 'ev/s',
      better: 'higher',
      target: { min: 5, text: '≥ 5× raw' },
    },
    { key: 'tput.lastMs', label: `Throughput ${tput}: time until all clients have all`, unit: 'ms', better: 'lower' },
    { key: 'tput.cpuMs', label: `Throughput ${tput}: server CPU`, unit: 'ms', better: 'lower' },
    { key: 'tput.blockMs', label: `Throughput ${tput}: longest event-loop block`, unit: 'ms', better: 'lower' },
    {
      key: 'idle.rssPerConnKb',
      label: `Idle ${big} connections: RSS per connection`,
      unit: 'KiB',
      better: 'lower',
      target: { max: 2.0, text: '≤ 2.0× raw' },
    },
    { key: 'idle.heapPerConnKb', label: `Idle ${big} connections: heap per connection`, unit: 'KiB', better: 'lower' },
    {
      key: 'accept.perSec',
      label: `Connections accepted per second (${big}, ≤ ${config.concurrency} at once)`,
      unit: 'conn/s',
      better: 'higher',
      target: { min: 0.5, text: '≥ 0.5× raw' },
    },
    {
      key: 'accept.cpuUsPerConn',
      label: 'Accepting a connection: server CPU per connection',
      unit: 'µs',
      better: 'lower',
    },
    {
      key: 'lost.total',
      label: 'Events lost, all phases (expected − received)',
      unit: '',
      better: 'lower',
      sum: true,
      exact: true,
      target: { equals: 0, text: '0' },
    },
    {
      key: 'stalled.lost',
      label: `Events lost by the others, ${stalled} with 1 stalled client`,
      unit: '',
      better: 'lower',
      sum: true,
      exact: true,
      target: { equals: 0, text: '0' },
    },
    {
      key: 'stalled.eventsPerSec',
      label: `Throughput ${stalled} with 1 stalled client: delivered events/s`,
      unit: 'ev/s',
      better: 'higher',
    },
  ];
}

/** Whether `value` (with `ratio` to the baseline) meets `target`. */
export function meets(target, value, ratio) {
  if (!target || value === undefined) return undefined;
  if (target.equals !== undefined) return value === target.equals;
  if (ratio === undefined) return undefined;
  if (target.max !== undefined) return ratio <= target.max;
  if (target.min !== undefined) return ratio >= target.min;
  return undefined;
}

function cell(definition, value, baseline, isBaseline) {
  if (value === undefined) return 'n/a';
  const unit = definition.unit ? ` ${definition.unit}` : '';
  const shown = definition.exact ? thousands.format(value) : number(value);
  if (isBaseline || definition.exact || baseline === undefined || baseline === 0) return `${shown}${unit}`;
  return `${shown}${unit} (${number(value / baseline)}×)`;
}

/**
 * The table: rows = metrics, columns = contenders, each cell the figure and its
 * ratio to the baseline; the last column the target and whether it is met.
 */
export function renderTable(definitions, contenders, figures) {
  const baseline = contenders.find((contender) => contender.baseline);
  const targeted = contenders.find((contender) => contender.targets);
  const header = [
    'metric',
    ...contenders.map((contender) => `${contender.name}${contender.baseline ? ' (baseline)' : ''}`),
    ...(targeted ? [`target (${targeted.name})`] : []),
  ];
  const rows = definitions.map((definition) => {
    const base = baseline ? figures[baseline.id]?.[definition.key] : undefined;
    const row = [`${definition.label} ${definition.better === 'lower' ? '↓' : '↑'}`];
    for (const contender of contenders) {
      const value = figures[contender.id]?.[definition.key];
      row.push(figures[contender.id]?.skipped ? 'skipped' : cell(definition, value, base, contender === baseline));
    }
    if (targeted) {
      if (!definition.target) row.push('');
      else {
        const value = figures[targeted.id]?.[definition.key];
        const ok = meets(definition.target, value, base ? value / base : undefined);
        row.push(`${definition.target.text} ${ok === undefined ? '?' : ok ? '✓' : '✗'}`);
      }
    }
    return row;
  });
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => [...row[column]].length)));
  const line = (row) =>
    `| ${row.map((text, column) => text + ' '.repeat(widths[column] - [...text].length)).join(' | ')} |`;
  return [line(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
