// 预警审核 (needs the alerts stage, issue 6): the inbox with level colours, one alert's
// mentions and trail, and the review actions. Written against the issue-6 API contract:
//   GET  /api/alerts?status=&level=&page=&size=      -> {total, items: [AlertOut]}
//   GET  /api/alerts/{id}                             -> AlertOut + {mentions, events, tickets}
//   POST /api/alerts/{id}/confirm {version, department, comment} -> TicketOut (201)
//   POST /api/alerts/{id}/dismiss {version, reason}   -> AlertOut
//   GET  /api/departments                             -> [{code, name}]
// Corrections of sentiment/category (POST /api/alerts/{id}/correct) are listed for each mention.
import { getJSON, postJSON } from "./api.js";
import { el, fmtTime, initShell, toast } from "./common.js";
import { mentionItem } from "./mentions.js";

const form = document.getElementById("alert-filters");
let user = null;

function levelBadge(alert) {
  return el("span", { class: `badge level-${alert.level}` }, alert.level_zh || alert.level);
}

async function loadList() {
  const data = new FormData(form);
  const page = await getJSON("/api/alerts", { status: data.get("status"), level: data.get("level"), size: 50 });
  const body = document.querySelector("#alerts tbody");
  body.replaceChildren(...page.items.map((a) => el("tr", { dataset: { id: a.id }, style: "cursor:pointer",
                                                          onclick: () => showAlert(a.id) },
    el("td", {}, levelBadge(a)), el("td", {}, a.title), el("td", {}, a.category_zh || "—"),
    el("td", { class: "hide-narrow" }, a.place || "—"), el("td", { class: "n" }, a.mention_count),
    el("td", {}, a.status_zh), el("td", { class: "hide-narrow" }, fmtTime(a.last_seen_at)))));
  if (!page.items.length) body.append(el("tr", {}, el("td", { colspan: 7, class: "empty" }, "没有符合条件的预警")));
}

async function act(path, body, done) {
  try {
    await postJSON(path, body);
    toast(done);
    await loadList();
  } catch (error) {
    toast(`操作失败：${error.message}`, "error");
  }
}

async function actions(alert) {
  const box = document.getElementById("alert-actions");
  box.replaceChildren();
  if (alert.status !== "pending" || !["pr"].includes(user.role)) return;
  const departments = await getJSON("/api/departments").catch(() => []);
  const select = el("select", { id: "confirm-department" }, el("option", { value: "" }, "暂不派单"),
                    ...departments.map((d) => el("option", { value: d.code }, d.name)));
  box.append(select,
    el("button", { type: "button", class: "primary", onclick: () => act(`/api/alerts/${alert.id}/confirm`,
      { version: alert.version, department: select.value }, "已确认并生成工单") }, "确认转工单"),
    el("button", { type: "button", onclick: () => {
      const reason = window.prompt("排除原因");
      if (reason) act(`/api/alerts/${alert.id}/dismiss`, { version: alert.version, reason }, "已排除");
    } }, "排除"));
}

async function showAlert(id) {
  const alert = await getJSON(`/api/alerts/${id}`);
  document.getElementById("alert-detail").hidden = false;
  document.getElementById("alert-title").replaceChildren(levelBadge(alert), " ", alert.title);
  document.getElementById("alert-reasons").textContent = alert.reasons.join("；");
  document.getElementById("alert-mentions").replaceChildren(
    ...alert.mentions.filter((m) => m.stored).map((m) => mentionItem(m.stored)));
  document.getElementById("alert-events").replaceChildren(...alert.events.map((e) => el("li", {},
    `${fmtTime(e.at)} ${e.actor}：${e.action}${e.to_value ? ` → ${e.to_value}` : ""}${e.comment ? `（${e.comment}）` : ""}`)));
  await actions(alert);
}

async function main() {
  user = await initShell();
  if (!user) return;
  form.addEventListener("submit", (event) => { event.preventDefault(); loadList(); });
  await loadList().catch((error) => toast(`加载失败：${error.message}`, "error"));
}

main();
