// 预警规则: the rules in force in Chinese (GET /api/alerts/rules), any problem with the rule file,
// and for the roles that may replace it an editor of the file's text, checked by PUT before it is saved.
import { getJSON, putJSON } from "./api.js";
import { el, initShell, label, toast } from "./common.js";

let inForce = ""; // the text of the rules in force, for 恢复
let showIds = false; // a rule's id is a key of the rule file: shown to those who edit it only

const list = (kind, values) => values.map((v) => (kind ? label(kind, v) : v)).join("、");
const yesNo = (value, yes, no) => (value ? yes : no);

// One condition of a rule's `when` as a sentence part: name, then the value(s).
function condition(key, value) {
  const name = label("rule_condition", key);
  const kinds = { sentiment: "sentiment", categories: "category", platforms: "platform" };
  if (key === "relevant") return yesNo(value, "与本公司相关", "与本公司无关");
  if (key === "author_verified") return yesNo(value, "作者为认证账号", "作者为非认证账号");
  if (Array.isArray(value)) return `${name}：${list(kinds[key], value)}`;
  return `${name} ${typeof value === "number" ? value.toLocaleString("zh-CN") : value}`;
}

function conditions(when) {
  const parts = Object.entries(when)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && !v.length))
    .map(([k, v]) => condition(k, v));
  return el("ul", { class: "reasons" }, parts.map((p) => el("li", {}, p)));
}

const badge = (level) => el("span", { class: `badge level-${level}` }, label("level", level));
const state = (enabled) => (enabled ? "启用" : el("span", { class: "tag" }, "停用"));

const ruleId = (id) => (showIds ? [el("br"), el("small", { class: "hint rule-id" }, id)] : []);

function ruleRow(rule) {
  return el("tr", { dataset: { id: rule.id } },
    el("td", {}, badge(rule.level)),
    el("td", {}, el("strong", {}, rule.name), ...ruleId(rule.id)),
    el("td", {}, conditions(rule.when)),
    el("td", {}, label("rule_lane", rule.lane)),
    el("td", {}, state(rule.enabled)));
}

function burstRow(burst) {
  const scope = burst.categories.length ? list("category", burst.categories) : "全部类别";
  const limits = [`${burst.window_minutes} 分钟内至少 ${burst.min_count} 条`];
  if (burst.group === "category") limits.push(`且达到近 ${burst.baseline_days} 天平均的 ${burst.factor} 倍`);
  else limits.push(`且达到该事件此前每个时段平均的 ${burst.factor} 倍`);
  return el("tr", { dataset: { id: burst.id } },
    el("td", {}, badge(burst.level)),
    el("td", {}, el("strong", {}, burst.name), ...ruleId(burst.id)),
    el("td", {}, `${label("burst_group", burst.group)}（${scope}）`),
    el("td", {}, limits.join("，")),
    el("td", {}, state(burst.enabled)));
}

function empty(columns, text) {
  return el("tr", {}, el("td", { colspan: columns, class: "empty" }, text));
}

function show(answer) {
  const { spec } = answer;
  document.getElementById("rules-summary").textContent =
    `共 ${spec.rules.length} 条信息规则、${spec.bursts.length} 条激增规则`;
  document.querySelector("#rules tbody").replaceChildren(...(spec.rules.length ? spec.rules.map(ruleRow)
    : [empty(5, "没有信息规则")]));
  document.querySelector("#bursts tbody").replaceChildren(...(spec.bursts.length ? spec.bursts.map(burstRow)
    : [empty(5, "没有激增规则")]));
  document.getElementById("rule-levels").replaceChildren(
    ...Object.entries(answer.levels).map(([level, text]) => el("li", {}, badge(level), " ", text)));
  const problem = document.getElementById("rules-problem");
  problem.hidden = !answer.error;
  document.getElementById("rules-problem-text").textContent = answer.error || "";
  inForce = answer.text;
}

async function load() {
  const card = document.getElementById("rules-card");
  try {
    show(await getJSON("/api/alerts/rules"));
    card.dataset.state = "ready";
  } catch (error) {
    card.dataset.state = "error";
    toast(`加载失败：${error.message}`, "error");
  }
}

function setUpEditor(user) {
  const editor = document.getElementById("rules-editor");
  if (!editor.dataset.editors.split(" ").includes(user.role)) return; // the API refuses others too
  editor.hidden = false;
  const text = document.getElementById("rules-text");
  const problem = document.getElementById("rules-error");
  const form = document.getElementById("rules-form");
  text.value = inForce;
  document.getElementById("rules-reset").addEventListener("click", () => {
    text.value = inForce;
    problem.hidden = true;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = document.getElementById("rules-save");
    button.disabled = true;
    form.dataset.state = "busy";
    try {
      const answer = await putJSON("/api/alerts/rules", { text: text.value });
      show(answer);
      text.value = answer.text;
      problem.hidden = true;
      form.dataset.state = "saved";
      toast("规则已保存并生效");
    } catch (error) {
      problem.textContent = error.message;
      problem.hidden = false;
      form.dataset.state = "error";
    } finally {
      button.disabled = false;
    }
  });
}

async function main() {
  const user = await initShell();
  if (!user) return;
  showIds = document.getElementById("rules-editor").dataset.editors.split(" ").includes(user.role);
  await load();
  if (document.getElementById("rules-card").dataset.state === "ready") setUpEditor(user);
}

main();
