/**
 * A bar chart of MFA activations per day as inline SVG, rendered on the
 * server: no client chart library, no script, and it passes the page's
 * Content-Security-Policy (presentation attributes only, no style).
 */

/** One bar: a UTC day (YYYY-MM-DD) and its count. */
export interface ChartDay {
  day: string;
  count: number;
}

const WIDTH = 640;
const HEIGHT = 180;
const PAD_LEFT = 36;
const PAD_BOTTOM = 24;
const PAD_TOP = 12;

/** A round axis maximum ≥ `max` (1, 2, 5 × 10^n), so the gridline labels are whole numbers. */
export function niceMax(max: number): number {
  if (max <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/**
 * The chart, with a text alternative: `aria-label` sums it up and each bar has a
 * <title> (its day and count) that screen readers and hover show.
 */
export function ActivationsChart({ days }: { days: ChartDay[] }) {
  const total = days.reduce((n, d) => n + d.count, 0);
  const top = niceMax(Math.max(0, ...days.map((d) => d.count)));
  const plotW = WIDTH - PAD_LEFT - 8;
  const plotH = HEIGHT - PAD_TOP - PAD_BOTTOM;
  const slot = days.length ? plotW / days.length : plotW;
  const barW = Math.max(1, Math.min(28, slot * 0.7));
  const y = (v: number) => PAD_TOP + plotH - (v / top) * plotH;
  const label = `Activations per day, ${days[0]?.day ?? ""} to ${days.at(-1)?.day ?? ""}: ${total} in all`;
  // Day labels: the first, the last, and about six between.
  const every = Math.max(1, Math.ceil(days.length / 7));
  return (
    <svg
      class="activations-chart"
      role="img"
      aria-label={label}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      width="100%"
      preserveAspectRatio="xMinYMin meet"
      xmlns="http://www.w3.org/2000/svg"
    >
      <title>{label}</title>
      {[0, top / 2, top].map((v) => (
        <g>
          <line x1={PAD_LEFT} x2={WIDTH - 8} y1={y(v)} y2={y(v)} stroke="#8891a4" stroke-width="0.5" />
          <text x={PAD_LEFT - 6} y={y(v) + 4} text-anchor="end" font-size="11" fill="currentColor">
            {Number.isInteger(v) ? String(v) : v.toFixed(1)}
          </text>
        </g>
      ))}
      {days.map((d, i) => {
        const x = PAD_LEFT + i * slot + (slot - barW) / 2;
        const h = (d.count / top) * plotH;
        return (
          <g class="bar" data-day={d.day} data-count={String(d.count)}>
            <title>{`${d.day}: ${d.count} activation${d.count === 1 ? "" : "s"}`}</title>
            <rect
              x={x.toFixed(1)}
              y={y(d.count).toFixed(1)}
              width={barW.toFixed(1)}
              height={h.toFixed(1)}
              fill="#0172ad"
            />
            {i % every === 0 || i === days.length - 1 ? (
              <text
                x={(x + barW / 2).toFixed(1)}
                y={HEIGHT - 6}
                text-anchor="middle"
                font-size="10"
                fill="currentColor"
              >
                {d.day.slice(5)}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}
