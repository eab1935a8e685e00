// One mention as a list item (when, where, who, sentiment, categories, text, engagement, link),
// and PR staff's correction form for it.
import { el, fmtNumber, fmtTime, highlighted, LABELS, label } from "./common.js";

const safeUrl = (url) => (/^https?:\/\//i.test(url || "") ? url : null);
// A verification (认证) or a clipping's media type after the author: who is speaking matters to PR
// staff (a media account, the fire brigade, a newspaper); a long one is cut, whole on hover.
const short = (text) => (text.length > 16 ? `${text.slice(0, 16)}…` : text);

export function mentionItem(item) {
  const m = item.mention;
  const text = item.highlight ? highlighted(item.highlight)
                              : (m.text.length > 160 ? `${m.text.slice(0, 160)}…` : m.text);
  const author = m.author.name + (m.author.followers ? `（粉丝 ${fmtNumber(m.author.followers)}）` : "");
  const url = safeUrl(m.url);
  return el("li", { class: `mention ${item.sentiment}`, dataset: { id: m.id } },
    el("div", { class: "meta" },
      el("time", { datetime: m.published_at }, fmtTime(m.published_at)),
      el("span", { class: "platform" }, label("platform", m.platform)),
      el("span", { class: "author", title: m.author.verified_reason || null }, author || "—",
         m.author.verified_reason ? el("small", { class: "verified" }, ` · ${short(m.author.verified_reason)}`) : null),
      el("span", { class: `badge ${item.sentiment}` }, label("sentiment", item.sentiment)),
      ...item.categories.map((c) => el("span", { class: "tag" }, label("category", c))),
      item.analysis.place ? el("span", { class: "place" }, item.analysis.place) : null,
      item.duplicates ? el("span", { class: "tag" }, `相似 ${item.duplicates} 条`) : null),
    m.title ? el("div", { class: "title" }, m.title) : null,
    el("p", { class: "text" }, text),
    el("div", { class: "foot" },
      el("span", {}, `转发 ${fmtNumber(m.reposts)} · 评论 ${fmtNumber(m.comments)} · 点赞 ${fmtNumber(m.likes)}`),
      url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, "原文") : null));
}

// Controls to correct a mention's sentiment and categories (PR staff); `save` gets the new labels.
export function correctionForm(item, save) {
  const sentiment = el("select", { name: "sentiment" }, ...Object.entries(LABELS.sentiment).map(([value, name]) =>
    el("option", { value, selected: value === item.sentiment }, name)));
  const boxes = Object.entries(LABELS.category).map(([value, name]) => el("label", { class: "check" },
    el("input", { type: "checkbox", name: "category", value, checked: item.categories.includes(value) }), name));
  return el("details", { class: "correct" }, el("summary", {}, "更正情感/类别"),
    el("form", { class: "action-form", onsubmit: (event) => {
      event.preventDefault();
      const categories = boxes.map((b) => b.firstChild).filter((b) => b.checked).map((b) => b.value);
      save({ sentiment: sentiment.value, categories });
    } }, el("label", { class: "field" }, "情感", sentiment), el("div", { class: "checks" }, ...boxes),
    el("button", { type: "submit" }, "保存更正")));
}

export const correctedTag = (item) =>
  (item.correction ? el("span", { class: "tag corrected" }, `已由 ${item.correction.by} 更正`) : null);
