// 舆情简报: the kept daily and weekly reports, downloadable as HTML or DOCX, and the report of
// any past day made on demand (GET /api/reports/{kind}-{day}?make=true, then the download);
// PR staff also import the day's newspaper and TV clippings here (clippings.js).
import { download, getJSON } from "./api.js";
import { setUpClippings } from "./clippings.js";
import { el, fillRows, fmtTime, initShell, shanghaiDay, toast } from "./common.js";

const FORMAT_NAMES = { html: "网页", docx: "Word" };

function sent(delivery) {
  if (!delivery) return "—";
  return delivery.ok ? `${fmtTime(delivery.at)} 已发送 ${delivery.recipients} 人` : `发送失败：${delivery.error}`;
}

function fetchFile(id, fmt) {
  return download(`/api/reports/${encodeURIComponent(id)}?format=${fmt}`, `${id}.${fmt}`);
}

function row(report) {
  const links = report.formats.map((fmt) => el("button", {
    type: "button", class: "link", dataset: { format: fmt },
    onclick: () => fetchFile(report.id, fmt).catch((error) => toast(`下载失败：${error.message}`, "error")),
  }, FORMAT_NAMES[fmt] || fmt));
  return el("tr", { dataset: { id: report.id }, id: report.id },
    el("td", {}, report.title), el("td", { class: "n" }, report.total), el("td", { class: "n" }, report.negative),
    el("td", { class: "n hide-narrow" }, report.events), el("td", { class: "n hide-narrow" }, report.incidents),
    el("td", { class: "hide-narrow" }, fmtTime(report.generated_at)),
    el("td", { class: "hide-narrow" }, sent(report.last_delivery)),
    el("td", {}, ...links.flatMap((link, i) => (i ? [" · ", link] : [link]))));
}

async function loadList() {
  const card = document.getElementById("reports-card");
  try {
    const reports = await getJSON("/api/reports", { limit: 100 });
    const body = document.querySelector("#reports tbody");
    fillRows(body, reports, row, "暂无简报");
    card.dataset.state = "ready";
  } catch (error) {
    card.dataset.state = "error";
    toast(`加载失败：${error.message}`, "error");
  }
}

// The form: kind and day; the button pressed gives the format.
function setUpForm() {
  const form = document.getElementById("make-report");
  const day = document.getElementById("r-day");
  const kind = document.getElementById("r-kind");
  day.max = shanghaiDay(0);
  day.value = shanghaiDay(-1);
  const label = () => {
    document.getElementById("r-day-label").textContent = kind.value === "weekly" ? "截止日期" : "日期";
  };
  kind.addEventListener("change", label);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fmt = event.submitter?.value || "html";
    if (!day.value) {
      toast("请选择日期", "error");
      return;
    }
    const id = `${kind.value}-${day.value}`;
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    form.dataset.state = "busy";
    try {
      const stored = await getJSON(`/api/reports/${encodeURIComponent(id)}`, { make: true });
      await fetchFile(id, fmt);
      toast(`已生成：${stored.briefing.title}`);
      form.dataset.state = "done";
      await loadList();
    } catch (error) {
      form.dataset.state = "error";
      toast(`生成失败：${error.message}`, "error");
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
}

async function main() {
  const user = await initShell();
  if (!user) return;
  setUpClippings(user);
  setUpForm();
  await loadList();
}

main();
