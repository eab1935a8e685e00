// ECharts helpers shared by the pages (ECharts is vendored: /static/vendor/echarts.min.js).
// Charts render as SVG: crisp on phones, and each bar or slice is an element of the page.

export const COLORS = { negative: "#d9363e", neutral: "#8c96a3", positive: "#2f9e5b", main: "#2b6cb0" };
const charts = new Map();

// The chart in `id`, created once, resized with the window.
export function chartIn(id) {
  if (!charts.has(id)) {
    const chart = window.echarts.init(document.getElementById(id), null, { renderer: "svg" });
    charts.set(id, chart);
  }
  return charts.get(id);
}

window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));

// Draw `option` (replacing what was there) and call onPick(params) when an element is clicked.
export function draw(id, option, onPick) {
  const chart = chartIn(id);
  chart.setOption({ animation: false, ...option }, { notMerge: true });
  chart.off("click");
  if (onPick) chart.on("click", onPick);
  const box = document.getElementById(id);
  box.dataset.rendered = String(Date.now());
  return chart;
}

const narrow = () => window.matchMedia("(max-width: 700px)").matches;

export function trendOption(buckets, names) {
  const days = buckets.map((b) => b.day);
  const series = ["negative", "neutral", "positive"].map((key) => ({
    name: names[key], id: key, type: "bar", stack: "total", barMaxWidth: 28, emphasis: { focus: "series" },
    itemStyle: { color: COLORS[key] }, data: buckets.map((b) => b[key]),
  }));
  return {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 36, bottom: narrow() ? 56 : 40 },
    xAxis: { type: "category", data: days, axisLabel: { formatter: (d) => d.slice(5) } },
    yAxis: { type: "value", minInterval: 1 },
    dataZoom: days.length > 31 ? [{ type: "slider", height: 18, bottom: 4 }] : [],
    series,
  };
}

// Shares with one decimal, as the figures above the charts show them ("40.6%", never 40.63/40.62).
export function share(part, total) {
  return total ? `${((100 * part) / total).toFixed(1)}%` : "—";
}

export function pieOption(items) {
  const total = items.reduce((sum, i) => sum + i.value, 0);
  const phone = narrow();
  return {
    tooltip: { trigger: "item", formatter: (p) => `${p.name}：${p.value}（${share(p.value, total)}）` },
    legend: { bottom: 0 },
    series: [{ type: "pie", radius: phone ? ["30%", "52%"] : ["38%", "68%"], center: ["50%", "45%"],
               label: { formatter: (p) => `${p.name}\n${share(p.value, total)}`, overflow: "none",
                        ...(phone ? { fontSize: 11, lineHeight: 14, edgeDistance: 4, alignTo: "labelLine" } : {}) },
               labelLine: phone ? { length: 6, length2: 6 } : {},
               data: items.map((i) => ({ name: i.name, value: i.value, id: i.id, itemStyle: { color: i.color } })) }],
  };
}

// Horizontal bars, largest on top; each item {id, name, value}.
export function barOption(items, color = COLORS.main) {
  const top = [...items].reverse();
  return {
    tooltip: { trigger: "item", formatter: "{b}：{c}" },
    grid: { left: 8, right: 36, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: 1, splitLine: { show: false } },
    yAxis: { type: "category", data: top.map((i) => i.name),
             axisLabel: { width: narrow() ? 90 : 130, overflow: "truncate" } },
    series: [{ type: "bar", barMaxWidth: 18, itemStyle: { color }, label: { show: true, position: "right" },
               data: top.map((i) => ({ value: i.value, id: i.id })) }],
  };
}

// Latency (ms) over time with failures marked; points are [time, ms, ok]. The failures are large
// red diamonds drawn above the line and its symbols (z), so a failed check is never hidden.
export function latencyOption(points) {
  return {
    tooltip: { trigger: "axis" },
    legend: { top: 0, data: ["响应时间", "失败"] },
    grid: { left: 48, right: 16, top: 32, bottom: 28 },
    xAxis: { type: "time" },
    yAxis: { type: "value", name: "毫秒" },
    series: [
      { name: "响应时间", type: "line", z: 2, showSymbol: points.length < 60, itemStyle: { color: COLORS.main },
        data: points.map((p) => [p[0], p[1]]) },
      { name: "失败", type: "scatter", z: 10, symbol: "diamond", symbolSize: 14,
        itemStyle: { color: COLORS.negative, borderColor: "#fff", borderWidth: 1.5, opacity: 1 },
        emphasis: { scale: 1.3 }, data: points.filter((p) => !p[2]).map((p) => [p[0], p[1] ?? 0]) },
    ],
  };
}
