// 工单督办 (needs the alerts stage, issue 6): the board by state with SLA countdowns, overdue
// highlighted, escalation marks; one ticket's trail and the actions the user's role allows;
// the departments' figures. Written against the issue-6 API contract:
//   GET  /api/tickets/board            -> [{status, status_zh, count, overdue, items: [TicketOut]}]
//   GET  /api/tickets/{id}             -> TicketOut + {events, allowed_actions, suggested_department}
//   POST /api/tickets/{id}/actions/{action} {version, comment, department, reply, visit_result, satisfaction}
//   GET  /api/supervision              -> [DepartmentFigures] (admin, supervisor, viewer)
import { getJSON, postJSON } from "./api.js";
import { el, fmtTime, initShell, toast } from "./common.js";

const ACTION_FIELDS = { assign: ["department"], reassign: ["department", "comment"], return: ["comment"],
                        reply: ["reply"], resolve: ["reply"], visit: ["visit_result", "satisfaction"],
                        redo: ["visit_result", "comment"], cancel: ["comment"], respond_public: ["public_response"],
                        comment: ["comment"] };
const FIELD_NAMES = { department: "部门代码", comment: "说明", reply: "办理情况", visit_result: "回访结果",
                      satisfaction: "满意度（1-5）", public_response: "对外回应" };

function due(ticket) {
  const deadline = ticket.responded_at ? ticket.resolve_due : ticket.respond_due;
  const minutes = Math.round((Date.parse(deadline) - Date.now()) / 60000);
  const text = minutes < 0 ? `超时 ${Math.ceil(-minutes / 60)} 小时` : `剩余 ${Math.floor(minutes / 60)} 小时 ${minutes % 60} 分`;
  return el("span", { class: `countdown${minutes < 0 ? " overdue" : ""}` }, text);
}

function card(ticket) {
  const late = Date.parse(ticket.responded_at ? ticket.resolve_due : ticket.respond_due) < Date.now();
  return el("div", { class: `ticket${late ? " overdue" : ""}`, dataset: { id: ticket.id },
                     onclick: () => showTicket(ticket.id), style: "cursor:pointer" },
    el("div", {}, el("span", { class: `badge level-${ticket.level}` }, `#${ticket.id}`), " ", ticket.title),
    el("small", {}, ticket.department || "未派单", " · ", due(ticket),
       ticket.escalation_level ? el("span", { class: "badge failed" }, ` 督办×${ticket.escalation_level}`) : null));
}

async function loadBoard() {
  const columns = await getJSON("/api/tickets/board");
  document.getElementById("board").replaceChildren(...columns.map((c) => el("div", { class: "column" },
    el("h2", {}, `${c.status_zh} ${c.count}`, c.overdue ? el("small", { class: "error" }, ` 超时 ${c.overdue}`) : null),
    ...c.items.map(card))));
}

async function act(ticket, action) {
  const body = { version: ticket.version };
  for (const field of ACTION_FIELDS[action] || []) {
    const value = window.prompt(FIELD_NAMES[field], field === "department" ? ticket.suggested_department : "");
    if (value === null) return;
    body[field] = field === "satisfaction" ? Number(value) : value;
  }
  try {
    await postJSON(`/api/tickets/${ticket.id}/actions/${action}`, body);
    toast("已提交");
    await Promise.all([loadBoard(), showTicket(ticket.id)]);
  } catch (error) {
    toast(`操作失败：${error.message}`, "error");
  }
}

async function showTicket(id) {
  const ticket = await getJSON(`/api/tickets/${id}`);
  document.getElementById("ticket-detail").hidden = false;
  document.getElementById("ticket-title").textContent = `#${ticket.id} ${ticket.title}（${ticket.status_zh}）`;
  document.getElementById("ticket-meta").replaceChildren(`${ticket.department || "未派单"} · 创建 ${fmtTime(ticket.created_at)} · `,
                                                         due(ticket));
  document.getElementById("ticket-actions").replaceChildren(...ticket.allowed_actions.map((action) =>
    el("button", { type: "button", dataset: { action }, onclick: () => act(ticket, action) }, action)));
  document.getElementById("ticket-events").replaceChildren(...ticket.events.map((e) => el("li", {},
    `${fmtTime(e.at)} ${e.actor}：${e.action_zh}${e.to_status ? ` → ${e.to_status}` : ""}${e.comment ? `（${e.comment}）` : ""}`)));
}

async function loadSupervision() {
  const rows = await getJSON("/api/supervision").catch(() => null);
  if (!rows) return;
  const pct = (v) => (v === null ? "—" : `${Math.round(v * 100)}%`);
  document.getElementById("supervision-card").hidden = false;
  document.querySelector("#supervision tbody").replaceChildren(...rows.map((r) => el("tr", {},
    el("td", {}, r.name), el("td", { class: "n" }, r.opened), el("td", { class: "n" }, r.closed),
    el("td", { class: "n" }, pct(r.response_on_time_rate)), el("td", { class: "n" }, pct(r.resolution_on_time_rate)),
    el("td", { class: "n" }, r.overdue_now), el("td", { class: "n" }, r.escalations),
    el("td", { class: "n" }, r.mean_satisfaction ?? "—"))));
}

async function main() {
  if (!(await initShell())) return;
  await Promise.all([loadBoard(), loadSupervision()]).catch((error) => toast(`加载失败：${error.message}`, "error"));
}

main();
