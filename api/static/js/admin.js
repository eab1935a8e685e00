// 系统管理: users and API keys (admin-accounts.js), the sources' health with the gaps still to
// back-fill, and the notification delivery log. Each tab is shown only to the roles its API
// routes admit (the page says which in data-roles; the API refuses the others anyway).
import { setUpAccounts } from "./admin-accounts.js";
import { getJSON } from "./api.js";
import { LABELS, el, fillRows, fmtNumber, fmtTime, initShell, label, readHash, toast, writeHash } from "./common.js";

const STATE_BADGE = { ok: "ok", degraded: "neutral", blocked: "failed", unknown: "none" };
const DELIVERY_BADGE = { sent: "ok", failed: "failed", pending: "none" };

// "35 分钟前" / "3 小时 20 分钟前" / "2 天 4 小时前"; null: never.
export function since(minutes) {
  if (minutes === null || minutes === undefined) return "从未成功";
  if (minutes < 1) return "刚刚";
  if (minutes < 60) return `${minutes} 分钟前`;
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  return days ? `${days} 天 ${hours} 小时前` : `${hours} 小时 ${minutes % 60} 分钟前`;
}

function sourceRow(source) {
  return el("tr", { dataset: { source: source.source, state: source.state } },
    el("td", { class: "name" }, source.name_zh,
       source.enabled ? null : el("small", { class: "hint" }, "（未启用）")),
    el("td", { class: "state" }, el("span", { class: `badge ${STATE_BADGE[source.state] || "none"}` }, source.state_zh)),
    el("td", { class: "reason" }, source.reason ? source.reason_zh : "—"),
    el("td", { class: "since" }, since(source.minutes_since_success)),
    el("td", { class: "hide-narrow" }, fmtTime(source.last_run_at)),
    el("td", { class: "n hide-narrow" }, `${fmtNumber(source.requests_today)} / ${fmtNumber(source.daily_budget)}`),
    el("td", { class: "n gaps" }, source.open_gaps ? `${source.open_gaps}（${source.missing_hours} 小时）` : "—"));
}

function gapRow(gap) {
  return el("tr", { dataset: { source: gap.source, key: gap.key } },
    el("td", {}, gap.name_zh), el("td", {}, gap.key),
    el("td", {}, `${fmtTime(gap.start)} 至 ${fmtTime(gap.end)}`), el("td", { class: "n" }, gap.hours),
    el("td", { class: "reason" }, gap.reason_zh), el("td", { class: "hide-narrow" }, fmtTime(gap.opened_at)));
}

async function loadSources() {
  const panel = document.getElementById("tab-sources");
  try {
    const [sources, gaps] = await Promise.all([getJSON("/api/sources"), getJSON("/api/sources/gaps")]);
    document.querySelector("#sources tbody").replaceChildren(...sources.map(sourceRow));
    const body = document.querySelector("#gaps tbody");
    fillRows(body, gaps, gapRow, "没有待补采的缺口");
    panel.dataset.state = "ready";
  } catch (error) {
    panel.dataset.state = "error";
    toast(`加载采集源失败：${error.message}`, "error");
  }
}

// What a notice was about ("alert:8", "ticket:2") as a link people read: 预警 #8, 工单 #2.
const REF_PAGES = { alert: ["预警", "/alerts"], ticket: ["工单", "/tickets"] };

function refLink(ref) {
  const [kind, id] = (ref || "").split(":");
  const target = REF_PAGES[kind];
  return target && id ? el("a", { class: "ref", href: `${target[1]}#id=${encodeURIComponent(id)}` }, `${target[0]} #${id}`)
    : null;
}

function deliveryRow(delivery) {
  const ref = refLink(delivery.ref);
  return el("tr", { dataset: { id: delivery.id, status: delivery.status } },
    el("td", { class: "nw" }, fmtTime(delivery.created_at)), el("td", { class: "channel" }, delivery.channel_zh || delivery.channel),
    el("td", { class: "hide-narrow" }, label("notice_kind", delivery.kind)),
    el("td", {}, delivery.subject, ref ? " " : null, ref),
    el("td", { class: "status" }, el("span", { class: `badge ${DELIVERY_BADGE[delivery.status] || "none"}` },
                                     label("delivery_status", delivery.status))),
    el("td", { class: "n hide-narrow" }, delivery.attempts), el("td", { class: "error-text" }, delivery.last_error || "—"),
    el("td", { class: "hide-narrow" }, fmtTime(delivery.sent_at)));
}

async function loadDeliveries() {
  const panel = document.getElementById("tab-notifications");
  panel.dataset.state = "loading";
  try {
    const status = document.getElementById("n-status").value;
    const rows = await getJSON("/api/notifications", { status, limit: 200 });
    const body = document.querySelector("#deliveries tbody");
    fillRows(body, rows, deliveryRow, "没有符合条件的通知记录");
    panel.dataset.state = "ready";
  } catch (error) {
    panel.dataset.state = "error";
    toast(`加载通知记录失败：${error.message}`, "error");
  }
}

function setUpDeliveryFilter() {
  const select = document.getElementById("n-status");
  select.append(...Object.entries(LABELS.delivery_status).map(([code, name]) => el("option", { value: code }, name)));
  select.addEventListener("change", loadDeliveries);
}

// The tabs this role may use; the one in the address (#tab=...) or the first is shown.
function setUpTabs(role) {
  const allowed = (node) => node.dataset.roles.split(" ").includes(role);
  for (const node of document.querySelectorAll("#admin-tabs button, .tab-panel")) if (!allowed(node)) node.remove();
  const tabs = [...document.querySelectorAll("#admin-tabs button")];
  const show = (name) => {
    for (const tab of tabs) tab.classList.toggle("active", tab.dataset.tab === name);
    for (const panel of document.querySelectorAll(".tab-panel")) panel.hidden = panel.id !== `tab-${name}`;
    writeHash({ tab: name });
  };
  for (const tab of tabs) {
    tab.hidden = false;
    tab.addEventListener("click", () => show(tab.dataset.tab));
  }
  const fromAddress = () => {
    const wanted = (readHash().tab || [])[0];
    show(tabs.some((t) => t.dataset.tab === wanted) ? wanted : tabs[0].dataset.tab);
  };
  fromAddress();
  window.addEventListener("hashchange", fromAddress);  // a #tab=... link followed or typed on this page
  return new Set(tabs.map((t) => t.dataset.tab));
}

async function main() {
  const user = await initShell();
  if (!user) return;
  const tabs = setUpTabs(user.role);
  const work = [];
  if (tabs.has("users")) work.push(setUpAccounts(user));
  if (tabs.has("sources")) work.push(loadSources());
  if (tabs.has("notifications")) {
    setUpDeliveryFilter();
    work.push(loadDeliveries());
  }
  await Promise.all(work);
}

main();
