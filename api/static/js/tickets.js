// 工单督办: the board by status with SLA countdowns, overdue tickets in red, 督办 (escalation) and
// emergency marks; one ticket with its facts, its audit trail and a button for each action the
// user's role may take now (the API's `allowed_actions`, with the fields each one needs from the
// transition table); the departments' figures (督办考核) and the tickets closed last.
import { getJSON, postJSON } from "./api.js";
import { countdown, el, fmtNumber, fmtTime, initShell, LABELS, label, readHash, toast, writeHash } from "./common.js";

const form = document.getElementById("ticket-filters");
const state = { user: null, selected: null, departments: [] };
const SATISFACTION = { 5: "5 非常满意", 4: "4 满意", 3: "3 基本满意", 2: "2 不满意", 1: "1 非常不满意" };
const ACTION_ORDER = ["assign", "reassign", "accept", "reply", "resolve", "visit", "close", "redo", "return",
                      "escalate", "respond_public", "cancel", "comment"];

const departmentName = (code) => state.departments.find((d) => d.code === code)?.name || code || "未派单";
const pct = (v) => (v === null || v === undefined ? "—" : `${Math.round(v * 100)}%`);

function clockBadge(ticket) {
  if (!ticket.clock) return el("span", { class: "countdown done" }, ticket.status_zh);
  const left = countdown(ticket.clock.due);
  return el("span", { class: `countdown${ticket.clock.overdue ? " overdue" : ""}`,
                      dataset: { due: ticket.clock.due, late: ticket.clock.overdue ? "1" : "" },
                      title: `${ticket.clock.kind_zh}时限 ${fmtTime(ticket.clock.due)}` },
            `${ticket.clock.kind_zh}${left.text}`);
}

function marks(ticket) {
  return [ticket.emergency ? el("span", { class: "badge failed mark-emergency" }, "紧急") : null,
          ticket.escalation_level ? el("span", { class: "badge mark-escalated", title: "超时督办次数" },
                                       `督办×${ticket.escalation_level}`) : null].filter(Boolean);
}

function card(ticket) {
  const late = ticket.clock && ticket.clock.overdue;
  return el("button", { type: "button", class: `ticket${late ? " overdue" : ""}${ticket.id === state.selected ? " selected" : ""}`,
                        dataset: { id: ticket.id, status: ticket.status }, onclick: () => showTicket(ticket.id, true) },
    el("span", { class: "ticket-head" }, el("span", { class: `badge level-${ticket.level}` }, `#${ticket.id}`), ...marks(ticket)),
    el("span", { class: "ticket-title" }, ticket.title),
    el("small", {}, departmentName(ticket.department), " · ", clockBadge(ticket)));
}

async function loadBoard() {
  const board = document.getElementById("board");
  board.dataset.state = "loading";
  try {
    const columns = await getJSON("/api/tickets/board", { department: form.elements.department.value });
    board.replaceChildren(...columns.map((c) => el("div", { class: "column", dataset: { status: c.status } },
      el("h2", {}, c.status_zh, el("span", { class: "count" }, c.count),
         c.overdue ? el("small", { class: "error" }, `超时 ${c.overdue}`) : null),
      ...c.items.map(card),
      c.count > c.items.length ? el("p", { class: "hint" }, `另有 ${c.count - c.items.length} 件`) : null)));
    const sum = (key) => columns.reduce((n, c) => n + c[key], 0);
    document.getElementById("kpi-open").textContent = sum("count");
    document.getElementById("kpi-overdue").textContent = sum("overdue");
    document.getElementById("kpi-escalated").textContent = sum("escalated");
    document.getElementById("kpi-emergency").textContent = sum("emergency");
    board.dataset.state = "ready";
  } catch (error) {
    board.dataset.state = "error";
    toast(`看板加载失败：${error.message}`, "error");
  }
}

function control(name, ticket) {
  if (name === "department") {
    return el("select", { name }, ...state.departments.map((d) =>
      el("option", { value: d.code, selected: d.code === (ticket.suggested_department || ticket.department) }, d.name)));
  }
  if (name === "satisfaction") {
    return el("select", { name }, ...Object.entries(SATISFACTION).reverse().map(([value, text]) =>
      el("option", { value, selected: value === "5" }, text)));
  }
  return el("textarea", { name, rows: 3, maxlength: name === "comment" ? 4000 : 8000 });
}

// The form of one action: the fields it needs (marked 必填), and an optional comment.
function actionForm(ticket, action) {
  const spec = LABELS.ticket_action[action];
  const names = [...spec.needs, ...(spec.needs.includes("comment") ? [] : ["comment"])];
  const controls = Object.fromEntries(names.map((name) => [name, control(name, ticket)]));
  const error = document.getElementById("action-error");
  error.hidden = true;
  const submit = async (event) => {
    event.preventDefault();
    const body = { version: ticket.version };
    for (const [name, input] of Object.entries(controls)) {
      body[name] = name === "satisfaction" ? Number(input.value) : input.value;
    }
    try {
      await postJSON(`/api/tickets/${ticket.id}/actions/${action}`, body);
      toast(`已${spec.zh}`);
      document.getElementById("ticket-form").replaceChildren();
      await refresh();
    } catch (problem) {
      if (problem.status === 409) {  // changed meanwhile: reload it, then say so (the buttons are current again)
        await refresh();
        error.textContent = `“${spec.zh}”未执行：${problem.message.replace(/，?请刷新后重试$/, "")}，已为您刷新`;
      } else {
        error.textContent = `“${spec.zh}”未执行：${problem.message}`;
      }
      error.hidden = false;
    }
  };
  return el("form", { class: "action-form", id: `form-${action}`, dataset: { action }, onsubmit: submit },
    el("h3", {}, spec.zh),
    ...names.map((name) => el("label", { class: "field" },
      `${label("ticket_field", name)}${spec.needs.includes(name) ? "（必填）" : "（可选）"}`, controls[name])),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, `确定${spec.zh}`),
       el("button", { type: "button", onclick: () => document.getElementById("ticket-form").replaceChildren() }, "取消")));
}

// What the ticket is about, for everyone who may see it: the post (full text, author, platform,
// publication time, original link) or the failing check (address and latest error).
function sourceFacts(source) {
  if (!source) return [];
  const link = (url) => (url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, url) : "");
  if (source.kind === "operations") {
    return [["来源", `${source.kind_zh}（${source.check}）`], ["检查地址", link(source.url)],
            ["最近错误", source.text], ["最近失败", source.seen_at ? fmtTime(source.seen_at) : ""]];
  }
  const followers = source.author_followers ? `，粉丝 ${fmtNumber(source.author_followers)}` : "";
  const verified = source.author_verified ? `，${source.author_verified}` : "";
  return [["来源", source.platform_zh || source.kind_zh],
          ["作者", source.author ? `${source.author}${followers}${verified}` : ""],
          ["发布时间", source.published_at ? fmtTime(source.published_at) : ""],
          ["原文", el("span", { class: "source-text" }, source.title ? `${source.title}\n${source.text}` : source.text)],
          ["原文链接", link(source.url)],
          ["相关信息", source.mention_count > 1 ? `共 ${source.mention_count} 条` : ""],
          ["计划内", source.planned ? `已登记的计划作业“${source.planned}”` : ""],
          ["对外口径", source.wording]];
}

// Roles that may open /alerts get the API's can_open_alert; the link is shown to them only.
function facts(ticket) {
  const rows = [
    ["状态", ticket.status_zh], ["级别", label("level", ticket.level)], ["责任部门", departmentName(ticket.department)],
    ["类别", label("category", ticket.category) || "—"], ["地点", ticket.place || "—"],
    ...sourceFacts(ticket.source),
    ["创建", `${fmtTime(ticket.created_at)}（${ticket.created_by_zh || ticket.created_by}）`],
    ["签收时限", `${fmtTime(ticket.respond_due)}${ticket.responded_at ? `，${fmtTime(ticket.responded_at)} 已签收` : ""}`],
    ["办结时限", `${fmtTime(ticket.resolve_due)}${ticket.resolved_at ? `，${fmtTime(ticket.resolved_at)} 已办结` : ""}`],
    ["办理情况", ticket.handler_reply], ["回访结果", ticket.visit_result],
    ["满意度", ticket.satisfaction ? SATISFACTION[ticket.satisfaction] : ""], ["对外回应", ticket.public_response],
    ["关闭", ticket.closed_at ? fmtTime(ticket.closed_at) : ""],
  ];
  if (!ticket.source && ticket.description) rows.splice(5, 0, ["说明", ticket.description]);
  const out = rows.filter(([, value]) => value).flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]);
  if (ticket.alert_id && ticket.can_open_alert) {
    out.push(el("dt", {}, "来源预警"), el("dd", {}, el("a", { href: `/alerts#id=${ticket.alert_id}` }, `#${ticket.alert_id}`)));
  }
  return out;
}

function trailLine(event) {
  const to = event.to_status && event.to_status !== event.from_status ? ` → ${label("ticket_status", event.to_status)}` : "";
  const extra = event.data && event.data.department ? `（${departmentName(event.data.department)}）` : "";
  return el("li", { dataset: { action: event.action } }, el("time", {}, fmtTime(event.at)),
            ` ${event.actor_zh || event.actor}：${event.action_zh}${extra}${to}`,
            event.comment ? el("span", { class: "hint" }, `（${event.comment}）`) : null);
}

async function showTicket(id, reveal = false) {
  if (!id) return;
  const box = document.getElementById("ticket-detail");
  box.dataset.state = "loading";
  try {
    const ticket = await getJSON(`/api/tickets/${id}`);
    state.selected = ticket.id;
    state.shown = ticket.id;
    writeHash({ department: form.elements.department.value, id: ticket.id });
    for (const node of document.querySelectorAll("#board .ticket")) node.classList.toggle("selected", node.dataset.id === String(id));
    box.hidden = false;
    document.getElementById("ticket-title").replaceChildren(el("span", { class: `badge level-${ticket.level}` }, `#${ticket.id}`),
                                                            ` ${ticket.title} `, ...marks(ticket));
    document.getElementById("ticket-clock").replaceChildren(clockBadge(ticket));
    document.getElementById("ticket-facts").replaceChildren(...facts(ticket));
    const allowed = ACTION_ORDER.filter((a) => ticket.allowed_actions.includes(a) && LABELS.ticket_action[a]);
    document.getElementById("ticket-actions").replaceChildren(...allowed.map((action) => el("button", {
      type: "button", class: action === "comment" ? "" : "primary", dataset: { action },
      onclick: () => document.getElementById("ticket-form").replaceChildren(actionForm(ticket, action)),
    }, LABELS.ticket_action[action].zh)));
    if (!allowed.length) document.getElementById("ticket-actions").append(el("span", { class: "hint" }, "当前没有您可执行的操作"));
    document.getElementById("ticket-form").replaceChildren();
    document.getElementById("action-error").hidden = true;
    document.getElementById("ticket-events").replaceChildren(...ticket.events.map(trailLine));
    Object.assign(box.dataset, { id: ticket.id, status: ticket.status, version: ticket.version, state: "ready" });
    if (reveal) box.scrollIntoView({ block: "start" });
  } catch (error) {
    box.dataset.state = "error";
    toast(`工单加载失败：${error.message}`, "error");
  }
}

async function loadSupervision() {
  const card = document.getElementById("supervision-card");
  if (!["admin", "supervisor", "viewer"].includes(state.user.role)) return;
  try {
    const rows = await getJSON("/api/supervision");
    card.hidden = false;
    document.getElementById("supervision-period").textContent = "本月";
    document.querySelector("#supervision tbody").replaceChildren(...rows.map((r) => el("tr", {
      dataset: { department: r.department }, class: r.department === "合计" ? "total" : "" },
      el("td", {}, r.name), el("td", { class: "n", dataset: { key: "opened" } }, r.opened),
      el("td", { class: "n", dataset: { key: "closed" } }, r.closed),
      el("td", { class: "n hide-narrow" }, pct(r.response_on_time_rate)), el("td", { class: "n" }, pct(r.resolution_on_time_rate)),
      el("td", { class: "n hide-narrow" }, r.median_hours_to_close === null ? "—" : r.median_hours_to_close.toFixed(1)),
      el("td", { class: "n", dataset: { key: "overdue_now" } }, r.overdue_now),
      el("td", { class: "n", dataset: { key: "escalations" } }, r.escalations),
      el("td", { class: "n hide-narrow" }, pct(r.reopen_rate)),
      el("td", { class: "n", dataset: { key: "mean_satisfaction" } },
         r.mean_satisfaction === null ? "—" : r.mean_satisfaction.toFixed(1)))));
    card.dataset.state = "ready";
  } catch (error) {
    card.dataset.state = "error";
    toast(`考核数据加载失败：${error.message}`, "error");
  }
}

async function loadClosed() {
  const card = document.getElementById("closed-card");
  try {
    const page = await getJSON("/api/tickets", { status: "closed", department: form.elements.department.value, size: 10 });
    document.getElementById("kpi-closed").textContent = page.total;
    const body = document.querySelector("#closed tbody");
    body.replaceChildren(...page.items.map((t) => el("tr", { dataset: { id: t.id }, onclick: () => showTicket(t.id, true) },
      el("td", {}, el("button", { type: "button", class: "link" }, `#${t.id} ${t.title}`)),
      el("td", { class: "hide-narrow" }, departmentName(t.department)), el("td", {}, fmtTime(t.closed_at)),
      el("td", { class: "n" }, t.satisfaction ?? "—"))));
    if (!page.items.length) body.append(el("tr", {}, el("td", { colspan: 4, class: "empty" }, "暂无已关闭工单")));
    card.dataset.state = "ready";
  } catch (error) {
    card.dataset.state = "error";
    toast(`已关闭工单加载失败：${error.message}`, "error");
  }
}

async function refresh() {
  await Promise.all([loadBoard(), loadSupervision(), loadClosed(), showTicket(state.selected)]);
}

// The countdowns move on by themselves; one that runs out turns its card red (overdue).
function tick() {
  for (const node of document.querySelectorAll(".countdown[data-due]")) {
    const left = countdown(node.dataset.due);
    node.textContent = node.textContent.replace(/(剩余|已?超时).*/, left.text);
    node.classList.toggle("overdue", left.late || node.dataset.late === "1");
    const ticket = node.closest(".ticket");
    if (ticket) ticket.classList.toggle("overdue", left.late || node.dataset.late === "1");
  }
}

async function main() {
  const saved = readHash();
  state.selected = Number((saved.id || [])[0]) || null;
  state.user = await initShell();
  if (!state.user) return;
  state.departments = await getJSON("/api/departments").catch(() => []);
  const select = form.elements.department;
  select.append(...state.departments.map((d) => el("option", { value: d.code }, d.name)));
  if (state.user.role === "handler") document.getElementById("department-filter").hidden = true;
  else if (saved.department) select.value = saved.department[0];
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    writeHash({ department: select.value, id: state.selected ?? "" });
    refresh();
  });
  setInterval(tick, 60_000);
  // Another ticket in the address (typed, back/forward, a link on this page): show it.
  window.addEventListener("hashchange", () => {
    const id = Number((readHash().id || [])[0]) || null;
    if (id && id !== state.shown) showTicket(id, true);
  });
  await refresh();
}

main();
