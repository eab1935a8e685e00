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

export function pieOption(items) {
  return {
    tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
    legend: { bottom: 0 },
    series: [{ type: "pie", radius: ["38%", "68%"], center: ["50%", "45%"], label: { formatter: "{b}\n{d}%" },
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

// Latency (ms) over time with failures marked; points are [time, ms, ok].
export function latencyOption(points) {
  return {
    tooltip: { trigger: "axis" },
    grid: { left: 48, right: 16, top: 16, bottom: 28 },
    xAxis: { type: "time" },
    yAxis: { type: "value", name: "毫秒" },
    series: [
      { name: "响应时间", type: "line", showSymbol: points.length < 60, itemStyle: { color: COLORS.main },
        data: points.map((p) => [p[0], p[1]]) },
      { name: "失败", type: "scatter", symbolSize: 9, itemStyle: { color: COLORS.negative },
        data: points.filter((p) => !p[2]).map((p) => [p[0], p[1] ?? 0]) },
    ],
  };
}
