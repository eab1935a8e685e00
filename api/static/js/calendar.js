// 运营日历: planned operations overlapping a chosen period (GET /api/calendar), and for the roles
// that may change them a form to add or change one (POST / PATCH) and a delete with confirmation.
// Every check of an entry is the API's: its Chinese `detail` is shown as it comes.
import { deleteJSON, getJSON, patchJSON, postJSON } from "./api.js";
import { LABELS, el, fillRows, fmtTime, initShell, label, shanghaiDay, toast } from "./common.js";

let canEdit = false;
let editing = null; // the id of the entry being changed, or null when adding

const $ = (id) => document.getElementById(id);
// "2026-12-01T08:00:00+08:00" -> "2026-12-01T08:00" (the datetime-local value, Asia/Shanghai).
const localValue = (iso) => fmtTime(iso).replace(" ", "T");
const splitAreas = (text) => text.split(/[\n,，、;；]+/).map((a) => a.trim()).filter(Boolean);

function row(event) {
  const notes = [event.notice && `公告：${event.notice}`, event.wording && `口径：${event.wording}`].filter(Boolean);
  const cells = [
    el("td", {}, event.kind_zh), el("td", {}, event.title),
    el("td", { dataset: { label: "区域" } }, event.areas.length ? event.areas.join("、") : "全部供气区域"),
    el("td", { dataset: { label: "开始" } }, fmtTime(event.starts_at)),
    el("td", { dataset: { label: "结束" } }, fmtTime(event.ends_at)),
    el("td", { class: "hide-narrow" }, event.categories.length
      ? event.categories.map((c) => label("category", c)).join("、") : "按类型默认"),
    el("td", { class: "hide-narrow" }, notes.length ? notes.join("；") : "—"),
  ];
  if (canEdit) {
    cells.push(el("td", {},
      el("button", { type: "button", class: "link", dataset: { action: "edit" }, onclick: () => startEdit(event) }, "修改"),
      " · ",
      el("button", { type: "button", class: "link", dataset: { action: "delete" }, onclick: () => remove(event) }, "删除")));
  }
  return el("tr", { dataset: { id: event.id } }, ...cells);
}

async function load() {
  const card = $("cal-card");
  card.dataset.state = "loading";
  try {
    const events = await getJSON("/api/calendar", { since: $("cal-since").value, until: $("cal-until").value });
    $("cal-total").textContent = `共 ${events.length} 项`;
    const body = document.querySelector("#planned tbody");
    fillRows(body, events, row, "所选时段没有计划作业");
    card.dataset.state = "ready";
  } catch (error) {
    card.dataset.state = "error";
    toast(`加载失败：${error.message}`, "error");
  }
}

function resetForm() {
  editing = null;
  $("cal-form").reset();
  $("cal-form-title").textContent = "登记计划作业";
  $("cal-save").textContent = "保存";
  $("cal-cancel").hidden = true;
  $("cal-error").hidden = true;
}

function startEdit(event) {
  resetForm();
  editing = event.id;
  $("cal-kind").value = event.kind;
  $("cal-title").value = event.title;
  $("cal-areas").value = event.areas.join("、");
  $("cal-starts").value = localValue(event.starts_at);
  $("cal-ends").value = localValue(event.ends_at);
  for (const box of document.querySelectorAll("#cal-categories input")) box.checked = event.categories.includes(box.value);
  $("cal-notice").value = event.notice;
  $("cal-wording").value = event.wording;
  $("cal-form-title").textContent = `修改计划作业：${event.title}`;
  $("cal-save").textContent = "保存修改";
  $("cal-cancel").hidden = false;
  $("cal-editor").scrollIntoView();
}

async function remove(event) {
  if (!window.confirm(`确定删除计划作业“${event.title}”吗？删除后相关投诉不再视为计划内。`)) return;
  try {
    await deleteJSON(`/api/calendar/${event.id}`);
    if (editing === event.id) resetForm();
    toast(`已删除：${event.title}`);
    await load();
  } catch (error) {
    toast(`删除失败：${error.message}`, "error");
  }
}

function body() {
  const time = (value) => (value ? `${value}:00+08:00` : null);
  return {
    kind: $("cal-kind").value, title: $("cal-title").value, areas: splitAreas($("cal-areas").value),
    categories: [...document.querySelectorAll("#cal-categories input:checked")].map((box) => box.value),
    starts_at: time($("cal-starts").value), ends_at: time($("cal-ends").value),
    notice: $("cal-notice").value, wording: $("cal-wording").value,
  };
}

async function save(submit) {
  submit.preventDefault();
  const form = $("cal-form");
  const problem = $("cal-error");
  const entry = body();
  if (!entry.starts_at || !entry.ends_at) {
    problem.textContent = "请填写开始时间和结束时间";
    problem.hidden = false;
    return;
  }
  if (!entry.areas.length && $("cal-areas").value.trim()) { // only separators: not "the whole service area"
    problem.textContent = "区域只填了分隔符：请填写区域名称，或留空表示全部供气区域";
    problem.hidden = false;
    return;
  }
  $("cal-save").disabled = true;
  try {
    const saved = editing === null ? await postJSON("/api/calendar", entry)
      : await patchJSON(`/api/calendar/${editing}`, entry);
    const marked = saved.marked_alerts.length ? `；${saved.marked_alerts.length} 条未办结预警已标为计划内` : "";
    toast(`${editing === null ? "已登记" : "已修改"}：${saved.title}${marked}`);
    resetForm();
    form.dataset.state = "saved";
    await load();
  } catch (error) {
    problem.textContent = error.message;
    problem.hidden = false;
    form.dataset.state = "error";
  } finally {
    $("cal-save").disabled = false;
  }
}

function setUpEditor(user) {
  canEdit = $("cal-editor").dataset.editors.split(" ").includes(user.role); // the API refuses others too
  if (!canEdit) return;
  $("cal-editor").hidden = false;
  document.querySelector("#planned th.cal-edit").hidden = false;
  $("cal-kind").replaceChildren(...Object.entries(LABELS.planned_kind).map(([value, zh]) => el("option", { value }, zh)));
  $("cal-categories").replaceChildren(...Object.entries(LABELS.category).map(([value, zh]) =>
    el("label", { class: "check" }, el("input", { type: "checkbox", name: "categories", value }), zh)));
  $("cal-form").addEventListener("submit", save);
  $("cal-cancel").addEventListener("click", resetForm);
}

async function main() {
  const user = await initShell();
  if (!user) return;
  $("cal-since").value = shanghaiDay(0);
  $("cal-until").value = shanghaiDay(29); // 30 days, today included
  setUpEditor(user);
  $("cal-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  await load();
}

main();
