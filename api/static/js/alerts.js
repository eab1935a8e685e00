// 预警审核: the alert inbox (most severe level first, then newest activity; each row says when its
// newest post was published), one alert with the mentions of
// its event and its trail, and the review actions the user's role allows now (from the API's
// `allowed_actions`): confirm → ticket, dismiss with a reason, undo a dismissal, comment, and
// correct a mention's sentiment or categories.
import { getJSON, postJSON } from "./api.js";
import { el, fillRows, fmtTime, initShell, LABELS, label, readHash, toast, writeHash } from "./common.js";
import { correctedTag, correctionForm, mentionItem } from "./mentions.js";

const PAGE_SIZE = 20;
const form = document.getElementById("alert-filters");
const state = { page: 1, selected: null, departments: [] };

function fillSelect(id, kind, keys = Object.keys(LABELS[kind])) {
  const select = document.getElementById(id);
  for (const key of keys) select.append(el("option", { value: key }, LABELS[kind][key]));
}

const levelBadge = (level) => el("span", { class: `badge level-${level}` }, label("level", level));

function saveHash() {
  writeHash({ ...Object.fromEntries(new FormData(form)), id: state.selected ?? "" });
}

function restoreHash() {
  const saved = readHash();
  for (const [key, [value]] of Object.entries(saved)) {
    if (key === "id") state.selected = Number(value) || null;
    else if (form.elements[key]) form.elements[key].value = value;
  }
}

function row(alert) {
  return el("tr", { class: `level-row-${alert.level}${alert.id === state.selected ? " selected" : ""}`,
                    dataset: { id: alert.id, level: alert.level }, onclick: () => showAlert(alert.id, true) },
    el("td", {}, levelBadge(alert.level)),
    el("td", {}, el("button", { type: "button", class: "link" }, alert.title),
       alert.expected ? el("span", { class: "tag", title: "已登记的计划作业" }, "计划内") : null),
    el("td", { class: "hide-narrow nw" }, alert.category_zh || "—"),
    el("td", { class: "n" }, alert.mention_count),
    el("td", { class: "nw" }, alert.status_zh),
    published(alert));
}

// When the newest post of the alert was published (an operational alert has none: when it was raised).
function published(alert) {
  const at = alert.last_published_at || alert.opened_at;
  const title = alert.last_published_at
    ? `首条发布 ${fmtTime(alert.first_published_at)}，最新发布 ${fmtTime(alert.last_published_at)}；系统发现 ${fmtTime(alert.opened_at)}`
    : `系统发现 ${fmtTime(alert.opened_at)}`;
  return el("td", { class: "nw published", title, dataset: { at } }, fmtTime(at).slice(5));
}

async function loadList() {
  const inbox = document.getElementById("inbox");
  inbox.dataset.state = "loading";
  const data = new FormData(form);
  try {
    const page = await getJSON("/api/alerts", { status: data.get("status"), level: data.get("level"),
                                                category: data.get("category"), expected: data.get("expected"),
                                                q: data.get("q").trim(),
                                                page: state.page, size: PAGE_SIZE });
    const body = document.querySelector("#alerts tbody");
    fillRows(body, page.items, row, "没有符合条件的预警");
    const total = document.getElementById("alert-total");
    total.textContent = `共 ${page.total} 条`;
    total.dataset.total = page.total;
    const pages = Math.max(1, Math.ceil(page.total / PAGE_SIZE));
    document.getElementById("page-no").textContent = `${state.page} / ${pages}`;
    document.getElementById("prev").disabled = state.page <= 1;
    document.getElementById("next").disabled = state.page >= pages;
    inbox.dataset.state = "ready";
  } catch (error) {
    inbox.dataset.state = "error";
    toast(`预警列表加载失败：${error.message}`, "error");
  }
}

// Run one review call; on success reload the list and the alert, on refusal show the server's reason.
async function act(path, body, done) {
  const problem = document.getElementById("alert-error");
  problem.hidden = true;
  try {
    const result = await postJSON(path, body);
    toast(done(result));
    await Promise.all([loadList(), showAlert(state.selected)]);
  } catch (error) {
    if (error.status === 409) {  // someone else changed it: show what is true now
      await Promise.all([loadList(), showAlert(state.selected)]);
      problem.textContent = `操作未完成：${error.message.replace(/，?请刷新后重试$/, "")}，已为您刷新`;
    } else {
      problem.textContent = `操作未完成：${error.message}`;
    }
    problem.hidden = false;
  }
}

const field = (text, control) => el("label", { class: "field" }, text, control);

function confirmForm(alert) {
  const department = el("select", { name: "department" }, el("option", { value: "" }, "暂不派单（待派单）"),
    ...state.departments.map((d) => el("option", { value: d.code, selected: d.code === alert.suggested_department },
                                       d.name)));
  const comment = el("textarea", { name: "comment", rows: 2, maxlength: 2000, placeholder: "研判意见（可选）" });
  return el("form", { class: "action-form", id: "confirm-form", onsubmit: (event) => {
    event.preventDefault();
    act(`/api/alerts/${alert.id}/confirm`, { version: alert.version, department: department.value,
                                             comment: comment.value.trim() },
        (ticket) => `已确认，生成工单 #${ticket.id}（${ticket.status_zh}）`);
  } }, el("h3", {}, "确认并转工单"), field("责任部门", department), field("说明", comment),
  el("button", { type: "submit", class: "primary" }, "确认转工单"));
}

function dismissForm(alert) {
  const reason = el("textarea", { name: "reason", rows: 2, maxlength: 2000, placeholder: "如：与本公司无关、已核实不属实" });
  return el("form", { class: "action-form", id: "dismiss-form", onsubmit: (event) => {
    event.preventDefault();
    act(`/api/alerts/${alert.id}/dismiss`, { version: alert.version, reason: reason.value }, () => "已排除");
  } }, el("h3", {}, "排除"), field("排除原因（必填）", reason), el("button", { type: "submit" }, "排除"));
}

function simpleForm(alert, action, title, placeholder) {
  const text = el("textarea", { name: "text", rows: 2, maxlength: 2000, placeholder });
  const body = () => (action === "comment" ? { text: text.value } : { version: alert.version, comment: text.value });
  return el("form", { class: "action-form", id: `${action}-form`, onsubmit: (event) => {
    event.preventDefault();
    act(`/api/alerts/${alert.id}/${action}`, body(), () => `已${title}`);
  } }, el("h3", {}, title), field("说明", text), el("button", { type: "submit" }, title));
}

function actions(alert) {
  const allowed = new Set(alert.allowed_actions);
  const forms = [];
  if (allowed.has("confirm")) forms.push(confirmForm(alert));
  if (allowed.has("dismiss")) forms.push(dismissForm(alert));
  if (allowed.has("reopen")) forms.push(simpleForm(alert, "reopen", "撤销排除", "撤销原因（可选）"));
  if (allowed.has("comment")) forms.push(simpleForm(alert, "comment", "备注", "研判过程、对外口径等"));
  document.getElementById("alert-actions").replaceChildren(...forms);
}

function mentionRow(alert, item) {
  if (!item.stored) return el("li", { class: "mention missing" }, `信息 ${item.mention_id} 已不在索引中`);
  const node = mentionItem(item.stored);
  node.querySelector(".meta").append(correctedTag(item.stored) || "");
  if (alert.allowed_actions.includes("correct")) {
    node.append(correctionForm(item.stored, (labels) => act(`/api/alerts/${alert.id}/correct`,
      { mention_id: item.stored.mention.id, ...labels }, () => "已更正（重新抓取后仍保留，并作为标注样本）")));
  }
  return node;
}

function trailLine(event) {
  const to = event.to_value ? ` → ${label("alert_status", event.to_value)}` : "";
  return el("li", {}, el("time", {}, fmtTime(event.at)), ` ${event.actor_zh || event.actor}：${event.action_zh}${to}`,
            event.comment ? el("span", { class: "hint" }, `（${event.comment}）`) : null);
}

// 计划内: the planned operation (运营日历) that explains the alert and its approved public wording (对外口径).
function showPlanned(alert) {
  const box = document.getElementById("alert-planned");
  const event = alert.planned;
  const rows = alert.expected ? [
    ["计划内", event ? `${event.kind_zh}“${event.title}”（${fmtTime(event.starts_at)} 至 ${fmtTime(event.ends_at)}）`
      : "已登记的计划作业"],
    ["对外口径", alert.wording || "该计划作业未填写对外口径"],
  ] : [];
  box.replaceChildren(...rows.flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
  box.hidden = !rows.length;
}

async function showAlert(id, reveal = false) {
  if (!id) return;
  const box = document.getElementById("alert-detail");
  box.dataset.state = "loading";
  try {
    const alert = await getJSON(`/api/alerts/${id}`);
    state.selected = alert.id;
    saveHash();
    for (const tr of document.querySelectorAll("#alerts tbody tr")) tr.classList.toggle("selected", tr.dataset.id === String(id));
    box.hidden = false;
    box.className = `card detail level-edge-${alert.level}`;
    if (state.shown !== alert.id) document.getElementById("alert-error").hidden = true;
    state.shown = alert.id;
    document.getElementById("alert-title").replaceChildren(levelBadge(alert.level), ` ${alert.title}`);
    const posts = alert.last_published_at
      ? [`首条发布 ${fmtTime(alert.first_published_at)}`,
         alert.last_published_at !== alert.first_published_at ? `最新发布 ${fmtTime(alert.last_published_at)}` : ""]
      : [];
    document.getElementById("alert-meta").textContent = [alert.status_zh, alert.category_zh, alert.place, ...posts,
      `系统发现 ${fmtTime(alert.opened_at)}`].filter(Boolean).join(" · ");
    document.getElementById("alert-summary").textContent =
      alert.summary + (alert.dismiss_reason ? `（排除原因：${alert.dismiss_reason}）` : "");
    showPlanned(alert);
    document.getElementById("alert-reasons").replaceChildren(...alert.reasons.map((r) => el("li", {}, r)));
    document.getElementById("alert-tickets").replaceChildren(...alert.tickets.map((t) => el("p", { class: "ticket-link" },
      "工单 ", el("a", { href: `/tickets#id=${t.id}` }, `#${t.id}`), `：${t.status_zh}`)));
    actions(alert);
    document.getElementById("alert-mention-count").textContent = `${alert.mention_count} 条`;
    document.getElementById("alert-mentions").replaceChildren(...alert.mentions.map((m) => mentionRow(alert, m)));
    document.getElementById("alert-events").replaceChildren(...alert.events.map(trailLine));
    box.dataset.id = alert.id;
    box.dataset.status = alert.status;
    box.dataset.state = "ready";
    if (reveal) box.scrollIntoView({ block: "start" });
  } catch (error) {
    box.dataset.state = "error";
    toast(`预警加载失败：${error.message}`, "error");
  }
}

async function main() {
  fillSelect("a-level", "level", ["red", "orange", "yellow", "blue"]);
  fillSelect("a-category", "category");
  restoreHash();
  if (!(await initShell())) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.page = 1;
    saveHash();
    loadList();
  });
  document.getElementById("prev").addEventListener("click", () => { state.page -= 1; loadList(); });
  document.getElementById("next").addEventListener("click", () => { state.page += 1; loadList(); });
  // Another alert in the address (typed, back/forward, a link on this page): show it.
  window.addEventListener("hashchange", () => {
    const id = Number((readHash().id || [])[0]) || null;
    if (id && id !== state.shown) showAlert(id, true);
  });
  state.departments = await getJSON("/api/departments").catch(() => []);
  await loadList();
  await showAlert(state.selected);
}

main();
