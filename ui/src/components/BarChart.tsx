import { useState } from "react";
import { useMeasuredWidth } from "../hooks";
import { type Chart, type Metric, PALETTE, niceScale } from "../lib/spend";
import { formatCost, formatTokens } from "../lib/format";

function formatValue(v: number, metric: Metric): string {
  return metric === "spend" ? formatCost(v) : formatTokens(v, true);
}

/** A stacked bar chart in plain SVG: one bar per day, one colour per group. */
export function StackedBarChart({ chart, metric, height = 220 }: { chart: Chart; metric: Metric; height?: number }) {
  const [hover, setHover] = useState<number | null>(null);
  const [box, width] = useMeasuredWidth<HTMLDivElement>();
  const pad = { left: 64, right: 8, top: 10, bottom: 24 };
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const scale = niceScale(chart.max);
  const n = chart.days.length;
  const slot = innerW / Math.max(1, n);
  const barW = Math.max(2, Math.min(28, slot * 0.7));
  const y = (v: number) => pad.top + innerH - (v / scale.max) * innerH;
  const ticks: number[] = [];
  for (let v = 0; v <= scale.max + 1e-12; v += scale.step) ticks.push(v);
  const labelEvery = Math.ceil(n / 10);
  const hoverDay = hover != null ? chart.days[hover] : null;

  return (
    <div className="chart" data-testid="spend-chart" ref={box}>
      <svg viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={`${metric} per day`}>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={pad.left} x2={width - pad.right} y1={y(t)} y2={y(t)} className="grid-line" />
            <text x={pad.left - 6} y={y(t) + 4} textAnchor="end" className="axis-label">
              {formatValue(t, metric)}
            </text>
          </g>
        ))}
        {chart.days.map((day, i) => {
          const x = pad.left + i * slot + (slot - barW) / 2;
          let acc = 0;
          return (
            <g key={day} onMouseEnter={() => setHover(i)} onMouseLeave={() => setHover(null)}>
              <rect x={pad.left + i * slot} y={pad.top} width={slot} height={innerH} fill="transparent" />
              {chart.series.map((s, si) => {
                const v = s.values[i];
                if (!v) return null;
                const y0 = y(acc);
                acc += v;
                const y1 = y(acc);
                return (
                  <rect key={s.key} x={x} y={y1} width={barW} height={Math.max(0.5, y0 - y1)} fill={PALETTE[si % PALETTE.length]} opacity={hover == null || hover === i ? 1 : 0.45}>
                    <title>{`${day} · ${s.label}: ${formatValue(v, metric)}`}</title>
                  </rect>
                );
              })}
              {i % labelEvery === 0 && (
                <text x={pad.left + i * slot + slot / 2} y={height - 6} textAnchor="middle" className="axis-label">
                  {day.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <div className="chart-hover muted small">
        {hoverDay ? (
          <>
            <strong>{hoverDay}</strong>
            {chart.series.map((s, si) =>
              s.values[hover!] ? (
                <span key={s.key}>
                  {" "}
                  · <span className="swatch" style={{ background: PALETTE[si % PALETTE.length] }} /> {s.label} {formatValue(s.values[hover!], metric)}
                </span>
              ) : null,
            )}
          </>
        ) : (
          "\u00a0"
        )}
      </div>
      <ul className="legend">
        {chart.series.map((s, si) => (
          <li key={s.key} title={s.label}>
            <span className="swatch" style={{ background: PALETTE[si % PALETTE.length] }} />
            <span className="legend-label">{s.label}</span>
            <span className="mono muted">{formatValue(s.total, metric)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
