// 舆情简报: the kept daily and weekly reports, downloadable as HTML or DOCX.
import { download, getJSON } from "./api.js";
import { el, fmtTime, initShell, toast } from "./common.js";

const FORMAT_NAMES = { html: "网页", docx: "Word" };

function sent(delivery) {
  if (!delivery) return "—";
  return delivery.ok ? `${fmtTime(delivery.at)} 已发送 ${delivery.recipients} 人` : `发送失败：${delivery.error}`;
}

function row(report) {
  const links = report.formats.map((fmt) => el("button", {
    type: "button", class: "link", dataset: { format: fmt },
    onclick: () => download(`/api/reports/${encodeURIComponent(report.id)}?format=${fmt}`, `${report.id}.${fmt}`)
      .catch((error) => toast(`下载失败：${error.message}`, "error")),
  }, FORMAT_NAMES[fmt] || fmt));
  return el("tr", { dataset: { id: report.id }, id: report.id },
    el("td", {}, report.title), el("td", { class: "n" }, report.total), el("td", { class: "n" }, report.negative),
    el("td", { class: "n hide-narrow" }, report.events), el("td", { class: "n hide-narrow" }, report.incidents),
    el("td", { class: "hide-narrow" }, fmtTime(report.generated_at)),
    el("td", { class: "hide-narrow" }, sent(report.last_delivery)),
    el("td", {}, ...links.flatMap((link, i) => (i ? [" · ", link] : [link]))));
}

async function main() {
  if (!(await initShell())) return;
  const card = document.getElementById("reports-card");
  try {
    const reports = await getJSON("/api/reports", { limit: 100 });
    const body = document.querySelector("#reports tbody");
    body.replaceChildren(...reports.map(row));
    if (!reports.length) body.append(el("tr", {}, el("td", { colspan: 8, class: "empty" }, "暂无简报")));
    card.dataset.state = "ready";
  } catch (error) {
    card.dataset.state = "error";
    toast(`加载失败：${error.message}`, "error");
  }
}

main();
