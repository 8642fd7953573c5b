/** One line of a Prometheus text exposition: `name{a="x",b="y"} value`. */
export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the samples of a text exposition (comments and `# HELP`/`# TYPE` lines left out). */
export function parseExposition(text: string): ExpositionSample[] {
  const samples: ExpositionSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]] = pair[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/**
 * The value of the sample `name` whose labels include `labels`: exactly one
 * must match (else it throws, listing what there is). `undefined` if none.
 */
export function sampleOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const matching = parseExposition(text).filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matching[0]?.value;
}

/** Scrapes `url` (`GET`), checking the answer is a text exposition. */
export async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('text/plain') && !type.startsWith('application/openmetrics-text')) {
    throw new Error(`GET ${url} answered ${type}`);
  }
  return response.text();
}
