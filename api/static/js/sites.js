// 站点健康: every own-channel target's last result, uptime over 24 h / 7 d / 30 d and, for the
// selected target, its latency history with failures marked and its incidents.
import { getJSON } from "./api.js";
import { draw, latencyOption } from "./charts.js";
import { el, fmtNumber, fmtTime, initShell, toast } from "./common.js";

const HISTORY = 200;
const pct = (w) => (w && w.uptime !== null ? `${w.uptime.toFixed(w.uptime === 100 ? 0 : 2)}%` : "—");

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
    el("td", { class: "n" }, pct(day)), el("td", { class: "n hide-narrow" }, pct(week)),
    el("td", { class: "n hide-narrow" }, pct(month)),
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

function drawCrawl(report) {
  const body = document.querySelector("#crawl tbody");
  const summary = document.getElementById("crawl-summary");
  if (!report) {
    summary.textContent = "尚未巡检";
    body.replaceChildren(el("tr", {}, el("td", { colspan: 4, class: "empty" }, "尚无巡检结果")));
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
  if (!(await initShell())) return;
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
      body.append(el("tr", {}, el("td", { colspan: 10, class: "empty" }, "未配置检查目标（[[sites.targets]]）")));
    }
    drawCrawl(crawl);
    summary.dataset.state = "ready";
    const failing = data.targets.find((t) => t.last && t.last.status !== "ok");
    if (failing) showTarget(failing.name);
  } catch (error) {
    summary.dataset.state = "error";
    toast(`加载失败：${error.message}`, "error");
  }
}

main();
