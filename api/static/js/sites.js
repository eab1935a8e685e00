// 站点健康: every own-channel target's last result, uptime over 24 h / 7 d / 30 d and, for the
// selected target, its latency history with failures marked and its incidents.
import { getJSON } from "./api.js";
import { draw, latencyOption } from "./charts.js";
import { el, fmtNumber, fmtTime, initShell, toast } from "./common.js";

const HISTORY = 200;
const WINDOW_HOURS = { "24h": 24, "7d": 7 * 24, "30d": 30 * 24 };

// Uptime with one decimal in every row, rounded down (99.96% is not shown as 100.0%).
export const uptimeText = (uptime) => `${(Math.floor(uptime * 10 + 1e-9) / 10).toFixed(1)}%`;

// "（近 2 小时）" when the checks cover clearly less than the window (a new target, a new install).
export function coveredSpan(window, now = Date.now()) {
  if (!window.first_at) return "";
  const hours = (now - Date.parse(window.first_at)) / 3_600_000;
  if (hours >= 0.9 * WINDOW_HOURS[window.window]) return "";
  if (hours < 1) return `（近 ${Math.max(1, Math.ceil(hours * 60))} 分钟）`;
  if (hours < 48) return `（近 ${Math.ceil(hours)} 小时）`;
  return `（近 ${Math.ceil(hours / 24)} 天）`;
}

function pct(window) {
  if (!window || window.uptime === null) return "—";
  const span = coveredSpan(window);
  return [uptimeText(window.uptime), span ? el("small", { class: "hint span", title: "巡检数据尚不足整个时段" }, span)
    : null];
}

function statusBadge(last) {
  if (!last) return el("span", { class: "badge none" }, "未检查");
  return el("span", { class: `badge ${last.status}` }, last.status === "ok" ? "正常" : "异常");
}

function row(target) {
  const last = target.last;
  const [day, week, month] = target.windows;
  return el("tr", { class: last && last.status !== "ok" ? "failing" : "", dataset: { name: target.name },
                    onclick: () => showTarget(target.name), style: "cursor:pointer" },
    el("td", {}, el("button", { type: "button", class: "link" }, target.name)),
    el("td", { class: "hide-narrow" }, target.kind_zh),
    el("td", {}, statusBadge(last)),
    el("td", {}, last && last.status !== "ok" ? `${last.reason_zh}${last.detail ? `：${last.detail}` : ""}` : "—"),
    el("td", { class: "n" }, last && last.latency_ms !== null ? fmtNumber(Math.round(last.latency_ms)) : "—"),
    el("td", { class: "n", dataset: { window: "24h" } }, pct(day)),
    el("td", { class: "n hide-narrow", dataset: { window: "7d" } }, pct(week)),
    el("td", { class: "n hide-narrow", dataset: { window: "30d" } }, pct(month)),
    el("td", { class: "n hide-narrow" }, day && day.p95_ms !== null ? fmtNumber(Math.round(day.p95_ms)) : "—"),
    el("td", {}, target.incident ? el("span", { class: "badge failed", title: target.incident.detail },
                                      `自 ${fmtTime(target.incident.opened_at)}`) : "—"));
}

async function showTarget(name) {
  const box = document.getElementById("site-detail");
  box.dataset.state = "loading";
  try {
    const data = await getJSON(`/api/sites/${encodeURIComponent(name)}`, { limit: HISTORY });
    box.hidden = false;
    document.getElementById("detail-title").textContent = `${data.name} · ${data.kind_zh}`;
    document.getElementById("detail-url").textContent = data.url;
    const points = [...data.results].reverse().map((r) => [r.checked_at, r.latency_ms, r.status === "ok"]);
    draw("chart-latency", latencyOption(points));
    const body = document.querySelector("#incidents tbody");
    body.replaceChildren(...data.incidents.map((i) => el("tr", {},
      el("td", {}, fmtTime(i.opened_at)), el("td", {}, i.recovered_at ? fmtTime(i.recovered_at) : "未恢复"),
      el("td", {}, i.reason_zh), el("td", {}, i.detail))));
    if (!data.incidents.length) body.append(el("tr", {}, el("td", { colspan: 4, class: "empty" }, "无故障记录")));
    box.dataset.state = "ready";
    box.dataset.name = name;
    box.scrollIntoView({ behavior: "smooth", block: "start" });
  } catch (error) {
    box.dataset.state = "error";
    toast(`加载失败：${error.message}`, "error");
  }
}

// Only an administrator edits the configuration, so only they are told which setting to fill in.
function setupHint(user, setting) {
  return user.role === "admin" ? `（配置文件 ${setting}）` : "，如需开通请联系系统管理员";
}

function drawCrawl(report, configured, user) {
  const body = document.querySelector("#crawl tbody");
  const summary = document.getElementById("crawl-summary");
  if (!report) {
    summary.textContent = configured ? "尚未巡检" : "未配置巡检";
    body.replaceChildren(el("tr", {}, el("td", { colspan: 4, class: "empty" }, configured
      ? "尚无巡检结果" : `未配置全站巡检${setupHint(user, "[sites.crawl] 的 start_urls")}`)));
    return;
  }
  summary.textContent = `${fmtTime(report.finished_at)} · 页面 ${report.pages} · 资源 ${report.resources} · ` +
                        `问题 ${report.problems.length}`;
  body.replaceChildren(...report.problems.map((p) => el("tr", {},
    el("td", {}, p.url), el("td", {}, p.resource), el("td", {}, `${p.reason_zh}${p.http_status ? ` (${p.http_status})` : ""}`),
    el("td", { class: "hide-narrow" }, p.page || "—"))));
  if (!report.problems.length) body.append(el("tr", {}, el("td", { colspan: 4, class: "empty" }, "未发现问题")));
}

async function main() {
  const user = await initShell();
  if (!user) return;
  const summary = document.getElementById("sites-summary");
  summary.dataset.state = "loading";
  try {
    const [data, crawl] = await Promise.all([getJSON("/api/sites"), getJSON("/api/sites/crawl")]);
    document.getElementById("sites-count").textContent = data.targets.length;
    document.getElementById("sites-failing").textContent = data.failing;
    document.getElementById("sites-checked").textContent = fmtTime(data.checked_at);
    const body = document.querySelector("#sites tbody");
    body.replaceChildren(...data.targets.map(row));
    if (!data.targets.length) {
      body.append(el("tr", {}, el("td", { colspan: 10, class: "empty" }, `未配置检查目标${setupHint(user, "[[sites.targets]]")}`)));
    }
    drawCrawl(crawl, data.crawl_configured, user);
    summary.dataset.state = "ready";
    const failing = data.targets.find((t) => t.last && t.last.status !== "ok");
    if (failing) showTarget(failing.name);
  } catch (error) {
    summary.dataset.state = "error";
    toast(`加载失败：${error.message}`, "error");
  }
}

main();
