import { useState } from "react";
import { useMeasuredWidth } from "../hooks";
import type { LineChartData } from "../lib/latency";
import { PALETTE, niceScale } from "../lib/spend";

/** Lines in plain SVG, one per series over the same slots; a slot without a value breaks its line. */
export function LineChart({
  chart,
  format,
  slotLabel,
  height = 220,
  minScale = 0,
  testid = "line-chart",
}: {
  chart: LineChartData;
  /** The least top of the value axis (so that tiny values do not get fractional ticks). */
  minScale?: number;
  format: (v: number) => string;
  slotLabel: (slot: string) => string;
  height?: number;
  testid?: string;
}) {
  const [hover, setHover] = useState<number | null>(null);
  const [box, width] = useMeasuredWidth<HTMLDivElement>();
  const pad = { left: 64, right: 12, top: 10, bottom: 24 };
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const scale = niceScale(Math.max(chart.max, minScale));
  const n = chart.slots.length;
  const slot = innerW / Math.max(1, n);
  const x = (i: number) => pad.left + i * slot + slot / 2;
  const y = (v: number) => pad.top + innerH - (v / scale.max) * innerH;
  const ticks: number[] = [];
  for (let v = 0; v <= scale.max + 1e-12; v += scale.step) ticks.push(v);
  const labelEvery = Math.ceil(n / Math.max(2, Math.floor(innerW / 70)));
  const color = (si: number) => PALETTE[si % PALETTE.length];

  return (
    <div className="chart" data-testid={testid} ref={box}>
      <svg viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={chart.series.map((s) => s.label).join(", ")}>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={pad.left} x2={width - pad.right} y1={y(t)} y2={y(t)} className="grid-line" />
            <text x={pad.left - 6} y={y(t) + 4} textAnchor="end" className="axis-label">
              {format(t)}
            </text>
          </g>
        ))}
        {chart.slots.map((s, i) =>
          i % labelEvery === 0 ? (
            <text key={s} x={x(i)} y={height - 6} textAnchor="middle" className="axis-label">
              {slotLabel(s)}
            </text>
          ) : null,
        )}
        {hover != null && <line x1={x(hover)} x2={x(hover)} y1={pad.top} y2={pad.top + innerH} className="grid-line" strokeDasharray="3 3" />}
        {chart.series.map((s, si) => (
          <g key={s.key} data-series={s.key}>
            <path d={linePath(s.values, x, y)} fill="none" stroke={color(si)} strokeWidth={2} strokeDasharray={s.dashed ? "5 4" : undefined} strokeLinejoin="round" />
            {s.values.map((v, i) =>
              // Points alone (no neighbour to join) and the hovered slot show as dots.
              // Dashed series' dots are rings, so that a dot under them still shows.
              v != null && (hover === i || (s.values[i - 1] == null && s.values[i + 1] == null)) ? (
                <circle key={i} cx={x(i)} cy={y(v)} r={s.dashed ? 5 : 3} fill={s.dashed ? "none" : color(si)} stroke={color(si)} strokeWidth={s.dashed ? 1.5 : 0} />
              ) : null,
            )}
          </g>
        ))}
        {chart.slots.map((s, i) => (
          <rect key={s} x={pad.left + i * slot} y={pad.top} width={slot} height={innerH} fill="transparent" onMouseEnter={() => setHover(i)} onMouseLeave={() => setHover(null)} />
        ))}
      </svg>
      <div className="chart-hover muted small">
        {hover != null ? (
          <>
            <strong>{slotLabel(chart.slots[hover])}</strong>
            {chart.series.every((s) => s.values[hover] == null) && " · no requests"}
            {chart.series.map((s, si) => {
              const v = s.values[hover];
              return v != null ? (
                <span key={s.key}>
                  {" "}
                  · <span className="swatch" style={{ background: color(si) }} /> {s.label} {format(v)}
                </span>
              ) : null;
            })}
          </>
        ) : (
          "\u00a0"
        )}
      </div>
      <ul className="legend">
        {chart.series.map((s, si) => (
          <li key={s.key}>
            <span className="swatch" style={{ background: color(si) }} />
            <span className="legend-label">{s.label}</span>
            {s.dashed && <span className="muted small">(dashed)</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The SVG path through the values, lifting the pen over the gaps. */
function linePath(values: Array<number | null>, x: (i: number) => number, y: (v: number) => number): string {
  let d = "";
  let drawing = false;
  values.forEach((v, i) => {
    if (v == null) {
      drawing = false;
      return;
    }
    d += `${drawing ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    drawing = true;
  });
  return d;
}
