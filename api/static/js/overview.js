// 舆情总览: the filter bar drives every chart; clicking a chart element (or a keyword, or an
// event) adds a drill-down chip that filters the mention list below the charts.
import { getJSON, postJSON } from "./api.js";
import { barOption, COLORS, draw, pieOption, share, trendOption } from "./charts.js";
import { el, fmtNumber, fmtTime, initShell, LABELS, label, readHash, shanghaiDay, toast, writeHash } from "./common.js";
import { correctedTag, correctionForm, mentionItem } from "./mentions.js";

const PAGE_SIZE = 20;
const form = document.getElementById("filters");
const state = { drill: {}, page: 1, sort: "newest", user: null };
const DRILL_NAMES = { day: "日期", sentiment: "情感", platform: "平台", category: "类别", place: "地点",
                      author: "作者", q: "关键词", event: "事件" };

function fillSelect(id, kind) {
  const select = document.getElementById(id);
  for (const [value, name] of Object.entries(LABELS[kind])) select.append(el("option", { value }, name));
}

// The filter bar as API parameters.
function filters() {
  const data = new FormData(form);
  const out = { platform: data.get("platform"), sentiment: data.get("sentiment"), category: data.get("category"),
                place: data.get("place").trim(), q: data.get("q").trim(),
                relevant: data.get("relevant") ? "true" : "" };
  const range = data.get("range");
  if (range === "custom") {
    out.since = data.get("since");
    out.until = data.get("until");
  } else if (range !== "all") {
    out.since = shanghaiDay(1 - Number(range));
    out.until = shanghaiDay(0);
  }
  return out;
}

// A custom range that cannot be asked for ("" when it can): checked here, in Chinese, before any
// request, so a backwards range never clears the figures as if there were no mentions.
function rangeProblem() {
  if (form.elements.range.value !== "custom") return "";
  const since = form.elements.since.value;
  const until = form.elements.until.value;
  return since && until && since > until ? "开始日期不能晚于结束日期" : "";
}

// Under the filter bar: the problem (red), or what an open-ended custom range means.
function showRangeHint() {
  const hint = document.getElementById("range-hint");
  const problem = rangeProblem();
  let text = problem;
  if (!problem && form.elements.range.value === "custom") {
    const since = form.elements.since.value;
    const until = form.elements.until.value;
    if (!since && !until) text = "未选择起止日期：显示全部时间的信息（可在“起”“止”中选择日期）";
    else if (!since) text = `未选择开始日期：显示 ${until} 及以前的全部信息`;
    else if (!until) text = `未选择结束日期：显示 ${since} 以来的全部信息`;
  }
  hint.textContent = text;
  hint.className = problem ? "range-hint error" : "range-hint hint";
  hint.hidden = !text;
  return problem;
}

// The filter bar plus the drill-down chips, for the mention list.
function listParams() {
  const params = { ...filters() };
  const { day, q, event, ...rest } = state.drill;
  Object.assign(params, rest);
  if (day) params.since = params.until = day;
  if (q) params.q = [params.q, q].filter(Boolean).join(" ");
  return params;
}

function setBusy(id, busy) {
  document.getElementById(id).dataset.state = busy;
}

function drawKpis(data) {
  const s = data.sentiment;
  document.getElementById("kpi-total").textContent = fmtNumber(data.total);
  document.getElementById("kpi-negative").textContent = fmtNumber(s.negative);
  document.getElementById("kpi-neutral").textContent = fmtNumber(s.neutral);
  document.getElementById("kpi-positive").textContent = fmtNumber(s.positive);
  document.getElementById("kpi-negative-share").textContent = share(s.negative, data.total);
}

const pick = (key, value) => () => drill(key, value);

function drawCharts(data) {
  draw("chart-trend", trendOption(data.trend, LABELS.sentiment), (p) => {
    state.drill.day = data.trend[p.dataIndex].day;
    drill("sentiment", p.seriesId);
  });
  const pie = ["negative", "neutral", "positive"].map((k) => ({ id: k, name: label("sentiment", k),
                                                               value: data.sentiment[k], color: COLORS[k] }));
  draw("chart-sentiment", pieOption(pie.filter((p) => p.value)), (p) => pick("sentiment", p.data.id)());
  const bars = (items, kind) => items.map((c) => ({ id: c.value, name: kind ? label(kind, c.value) : c.value,
                                                   value: c.count }));
  draw("chart-platform", barOption(bars(data.platform, "platform")), (p) => pick("platform", p.data.id)());
  draw("chart-category", barOption(bars(data.category, "category"), COLORS.negative),
       (p) => pick("category", p.data.id)());
  draw("chart-district", barOption(bars(data.district)), (p) => pick("place", p.data.id)());
  draw("chart-author", barOption(bars(data.author)), (p) => pick("author", p.data.id)());
  drawCloud(data.keywords);
}

function drawCloud(keywords) {
  const box = document.getElementById("cloud");
  const most = Math.max(1, ...keywords.map((k) => k.count));
  box.replaceChildren(...keywords.map((k, i) => el("button", {
    type: "button", class: `word w${i % 5}`, style: `font-size:${(0.8 + 1.2 * (k.count / most)).toFixed(2)}rem`,
    title: `${k.value}：${k.count}`, dataset: { word: k.value, count: k.count }, onclick: pick("q", k.value),
  }, k.value)));
  if (!keywords.length) box.append(el("p", { class: "empty" }, "暂无关键词"));
}

function drawEvents(events) {
  const body = document.querySelector("#events tbody");
  body.replaceChildren(...events.map((e) => el("tr", { dataset: { event: e.event_id } },
    el("td", {}, el("button", { type: "button", class: "link", onclick: () => drill("event", e.event_id, e.summary) },
                    e.summary)),
    el("td", { class: "n" }, e.mentions), el("td", { class: "n hide-narrow" }, e.negative),
    el("td", { class: "hide-narrow" }, e.platforms.map((p) => label("platform", p)).join("、")),
    el("td", {}, e.place || "—"), el("td", { class: "hide-narrow" }, fmtTime(e.last_seen_at)))));
  if (!events.length) body.append(el("tr", {}, el("td", { colspan: 6, class: "empty" }, "暂无事件")));
}

function drawChips() {
  const box = document.getElementById("drill");
  box.replaceChildren(...Object.entries(state.drill).filter(([k]) => k !== "eventTitle").map(([key, value]) => {
    const shown = key === "event" ? state.drill.eventTitle : ["sentiment", "platform", "category"].includes(key)
      ? label(key, value) : value;
    return el("button", { type: "button", class: "chip", dataset: { key }, title: "点击取消",
                          onclick: () => undrill(key) }, `${DRILL_NAMES[key]}：${shown} ×`);
  }));
}

// A mention of the list; PR staff may correct it here (kept across re-crawls, a labelled example).
function listItem(item) {
  const node = mentionItem(item);
  node.querySelector(".meta").append(correctedTag(item) || "");
  if (state.user?.role !== "pr") return node;
  node.append(correctionForm(item, async (labels) => {
    try {
      await postJSON(`/api/mentions/${encodeURIComponent(item.mention.id)}/correct`, labels);
      toast("已更正（重新抓取后仍保留，并作为标注样本）");
      await loadMentions();
    } catch (error) {
      toast(`更正未保存：${error.message}`, "error");
    }
  }));
  return node;
}

async function loadMentions() {
  if (rangeProblem()) {  // the figures and the list shown stay as they were
    setBusy("mention-section", "invalid");
    return;
  }
  setBusy("mention-section", "loading");
  const list = document.getElementById("mentions");
  try {
    let items;
    let total;
    if (state.drill.event) {
      const detail = await getJSON(`/api/events/${encodeURIComponent(state.drill.event)}`, { size: 200 });
      items = detail.mentions;
      total = items.length;
    } else {
      const page = await getJSON("/api/mentions", { ...listParams(), sort: state.sort, page: state.page,
                                                    size: PAGE_SIZE });
      items = page.items;
      total = page.total;
    }
    list.replaceChildren(...items.map(listItem));
    if (!items.length) list.append(el("li", { class: "empty" }, "没有符合条件的信息"));
    document.getElementById("mention-total").textContent = `共 ${fmtNumber(total)} 条`;
    document.getElementById("mention-total").dataset.total = total;
    const pages = state.drill.event ? 1 : Math.max(1, Math.ceil(total / PAGE_SIZE));
    document.getElementById("page-no").textContent = `${state.page} / ${pages}`;
    document.getElementById("prev").disabled = state.page <= 1;
    document.getElementById("next").disabled = state.page >= pages;
    setBusy("mention-section", "ready");
  } catch (error) {
    setBusy("mention-section", "error");
    toast(`信息列表加载失败：${error.message}`, "error");
  }
}

function drill(key, value, title) {
  state.drill[key] = value;
  if (key === "event") state.drill.eventTitle = title;
  state.page = 1;
  drawChips();
  saveHash();
  loadMentions();
  document.getElementById("mention-section").scrollIntoView({ behavior: "smooth", block: "start" });
}

function undrill(key) {
  delete state.drill[key];
  if (key === "event") delete state.drill.eventTitle;
  state.page = 1;
  drawChips();
  saveHash();
  loadMentions();
}

function saveHash() {
  const values = Object.fromEntries(new FormData(form));
  for (const [key, value] of Object.entries(state.drill)) values[`d.${key}`] = value;
  writeHash(values);
}

function restoreHash() {
  const saved = readHash();
  for (const [key, [value]] of Object.entries(saved)) {
    if (key.startsWith("d.")) state.drill[key.slice(2)] = value;
    else if (form.elements[key] && form.elements[key].type === "checkbox") form.elements[key].checked = value === "on";
    else if (form.elements[key]) form.elements[key].value = value;
  }
  if (Object.keys(saved).length && !saved.relevant) form.elements.relevant.checked = false;
}

async function refresh() {
  const problem = showRangeHint();
  if (problem) {
    setBusy("kpis", "invalid");
    setBusy("mention-section", "invalid");
    toast(problem, "error");
    return;
  }
  setBusy("kpis", "loading");
  const params = filters();
  try {
    const [data, events] = await Promise.all([getJSON("/api/stats/overview", params),
                                              getJSON("/api/events", { ...params, limit: 10 })]);
    drawKpis(data);
    drawCharts(data);
    drawEvents(events);
    setBusy("kpis", "ready");
  } catch (error) {
    setBusy("kpis", "error");
    toast(`加载失败：${error.message}`, "error");
  }
  await loadMentions();
}

function syncRange() {
  const custom = form.elements.range.value === "custom";
  for (const box of form.querySelectorAll(".custom-range")) box.hidden = !custom;
  showRangeHint();
}

async function main() {
  fillSelect("f-platform", "platform");
  fillSelect("f-sentiment", "sentiment");
  fillSelect("f-category", "category");
  restoreHash();
  syncRange();
  drawChips();
  form.elements.range.addEventListener("change", syncRange);
  form.elements.since.addEventListener("change", showRangeHint);
  form.elements.until.addEventListener("change", showRangeHint);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.page = 1;
    saveHash();
    refresh();
  });
  form.addEventListener("reset", () => setTimeout(() => {
    state.drill = {};
    state.page = 1;
    syncRange();
    drawChips();
    saveHash();
    refresh();
  }));
  document.getElementById("sort").addEventListener("change", (event) => {
    state.sort = event.target.value;
    state.page = 1;
    loadMentions();
  });
  document.getElementById("prev").addEventListener("click", () => { state.page -= 1; loadMentions(); });
  document.getElementById("next").addEventListener("click", () => { state.page += 1; loadMentions(); });
  state.user = await initShell();
  if (state.user) await refresh();
}

main();
