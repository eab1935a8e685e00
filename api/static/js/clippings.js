// 导入报刊、电视剪报 (on 舆情简报): PR staff pick the day's CSV or XLSX of newspaper, TV and radio
// clippings and import it (POST /api/clippings, multipart). The answer is shown in Chinese: rows
// added, rows already imported before, rows repeated in the file, and every refused row with its
// number and reasons. A file that cannot be read at all stores nothing, and the page says so.
import { ApiError, download, postFile } from "./api.js";
import { el, fmtNumber } from "./common.js";

const OVERVIEW = "/#range=all&platform=clipping"; // 舆情总览, every date, the 报刊广电 platform

const card = () => document.getElementById("clippings-card");

function show(state, ...children) {
  const box = document.getElementById("clip-result");
  const shown = children.filter(Boolean); // replaceChildren would write out a null as "null"
  box.replaceChildren(...shown);
  box.hidden = !shown.length;
  card().dataset.state = state;
}

// "新增 3 条": the number in its own element (#clip-new ...), the words around it.
function figure(id, before, value, after, kind = "") {
  return el("li", { class: kind }, `${before} `, el("strong", { id }, fmtNumber(value)), ` ${after}`);
}

// Refused and skipped rows, in file order: 第 N 行 — every reason.
function rowsTable(report) {
  const rows = [
    ...report.rejected.map((r) => ({ row: r.row, kind: "未导入", style: "error", reasons: r.errors })),
    ...report.skipped.map((r) => ({ row: r.row, kind: "已跳过", style: "hint", reasons: [r.reason] })),
  ].sort((a, b) => a.row - b.row);
  if (!rows.length) return null;
  return el("div", { class: "table-wrap" }, el("table", { class: "table", id: "clip-rows" },
    el("thead", {}, el("tr", {}, el("th", { class: "n" }, "行号"), el("th", {}, "结果"), el("th", {}, "原因"))),
    el("tbody", {}, ...rows.map((r) => el("tr", { dataset: { row: r.row } },
      el("td", { class: "n" }, r.row ? `第 ${r.row} 行` : "—"), el("td", { class: r.style }, r.kind),
      el("td", {}, r.reasons.join("；")))))));
}

function showReport(report) {
  const refused = report.rejected.length;
  const figures = el("ul", { class: "clip-figures", id: "clip-figures" },
    figure("clip-rows-total", "文件中共", report.rows, "行"), figure("clip-new", "新增", report.stored_new, "条", "ok"),
    figure("clip-existing", "已存在", report.stored_updated, "条（此前导入过，已更新）"),
    figure("clip-skipped", "文件内重复", report.skipped.length, "行（已跳过）"),
    figure("clip-rejected", "有误未导入", refused, "行", refused ? "error" : ""));
  const head = refused ? `导入完成，但有 ${refused} 行有误未导入：请按下表改正后重新导入（已导入的行不会重复）`
                       : "导入完成";
  show(refused ? "partial" : "done",
    el("h3", { id: "clip-summary" }, head), figures,
    report.queued ? el("p", { class: "hint" }, `其中 ${report.queued} 条在舆情索引恢复后自动写入`) : null,
    rowsTable(report),
    report.accepted ? el("p", {}, el("a", { href: OVERVIEW, id: "clip-view" }, "在舆情总览中查看报刊广电信息 →")) : null);
}

function showError(error) {
  // 413/415/422: the service refused the file as a whole, before storing any row of it.
  const whole = error instanceof ApiError && [413, 415, 422].includes(error.status);
  show("error", el("p", { class: "error", id: "clip-error" }, `导入失败：${error.message}`),
    el("p", { class: "hint" }, whole ? "文件中的内容均未导入，请修改文件后重新导入。"
                                     : "请稍后重试；已导入的行再次导入不会重复。"));
}

async function submit(event) {
  event.preventDefault();
  const file = document.getElementById("clip-file").files[0];
  const maxMb = Number(card().dataset.maxMb);
  if (!file) {
    show("error", el("p", { class: "error", id: "clip-error" }, "请先选择要导入的 CSV 或 XLSX 文件"));
    return;
  }
  if (file.size > maxMb * 1024 * 1024) { // refused here: the service would cut the upload off half sent
    show("error", el("p", { class: "error", id: "clip-error" },
      `导入失败：文件 ${(file.size / 1024 / 1024).toFixed(1)} MB，超过 ${maxMb} MB 上限，请拆分后分批导入`),
    el("p", { class: "hint" }, "文件未上传，内容均未导入。"));
    return;
  }
  const button = document.getElementById("clip-submit");
  button.disabled = true;
  show("busy", el("p", { class: "hint" }, `正在导入 ${file.name}…`));
  try {
    showReport(await postFile("/api/clippings", file));
    document.getElementById("clip-form").reset();
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
}

// Shown to the roles the import route admits (the API refuses the others too).
export function setUpClippings(user) {
  const section = card();
  if (!section || !section.dataset.importers.split(" ").includes(user.role)) return;
  section.hidden = false;
  section.dataset.state = "ready";
  document.getElementById("clip-form").addEventListener("submit", submit);
  document.getElementById("clip-template").addEventListener("click", () => {
    download("/api/clippings/template", "剪报导入模板.csv").catch((error) => {
      show("error", el("p", { class: "error", id: "clip-error" }, `模板下载失败：${error.message}`));
    });
  });
}
