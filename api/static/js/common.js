// What every page shares: labels, safe DOM building, dates, the shell (user, nav by role).
import { currentUser, logout, toLogin } from "./auth.js";

export const LABELS = JSON.parse(document.getElementById("yuqing-labels").textContent);

export const label = (kind, value) => (LABELS[kind] && LABELS[kind][value]) || value;

// Build an element: el("td", {class: "n", onclick: f}, "text", child...). Text is never parsed as HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A search highlight ("…<em>停气</em>…", HTML-escaped by the server) as DOM nodes, never as HTML.
export function highlighted(snippet) {
  const parts = [];
  const text = document.createElement("textarea");
  for (const [i, piece] of snippet.split(/<\/?em>/).entries()) {
    text.innerHTML = piece; // decodes the server's entities inside a textarea: no elements are created
    parts.push(i % 2 ? el("mark", {}, text.value) : text.value);
  }
  return parts;
}

const pad = (n) => String(n).padStart(2, "0");

// "2026-11-20 14:05" in Asia/Shanghai, whatever the browser's zone.
export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(Date.parse(iso) + 8 * 3600_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
         `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

// Today's date in Asia/Shanghai as YYYY-MM-DD, shifted by `days`.
export function shanghaiDay(days = 0) {
  const d = new Date(Date.now() + 8 * 3600_000 + days * 86_400_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

export const fmtNumber = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN"));

export function toast(message, kind = "info") {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.className = `toast ${kind}`;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 5000);
}

// Who is logged in, shown in the header; only the pages the role may use are in the navigation,
// and a page opened by another role says so instead of loading (the API would refuse it too).
// A page that needs no login (`required: false`, e.g. 页面不存在) shows every link when nobody is.
export async function initShell({ required = true } = {}) {
  let user;
  try {
    user = await currentUser();
  } catch (error) {
    toast(`无法获取登录信息：${error.message}`, "error");
    return null;
  }
  if (!user && !required) {
    for (const link of document.querySelectorAll("#nav a[data-roles]")) link.hidden = false;
    document.getElementById("user")?.setAttribute("hidden", "");
    return null;
  }
  if (!user) {
    toLogin();
    return null;
  }
  const name = document.getElementById("user-name");
  if (name) name.textContent = `${user.display_name || user.username}（${label("role", user.role)}）`;
  document.getElementById("logout")?.addEventListener("click", () => logout());
  for (const link of document.querySelectorAll("#nav a[data-roles]")) {
    link.hidden = !link.dataset.roles.split(" ").includes(user.role);
  }
  const roles = document.body.dataset.roles;
  if (roles && !roles.split(" ").includes(user.role)) {
    const title = document.querySelector(".page-title")?.textContent || "本页";
    document.querySelector("main").replaceChildren(el("section", { class: "card notice", id: "forbidden" },
      el("h2", {}, `${label("role", user.role)}无权使用“${title}”`),
      el("p", {}, "请从上方导航进入您可以使用的页面；如需权限，请联系系统管理员。")));
    return null;
  }
  return user;
}

// A table body's rows, or one row saying why there are none, spanning the table's columns.
export function fillRows(body, items, row, emptyText) {
  body.replaceChildren(...items.map(row));
  if (items.length) return;
  const columns = body.closest("table")?.querySelectorAll("thead th").length || 1;
  body.append(el("tr", {}, el("td", { colspan: columns, class: "empty" }, emptyText)));
}

// "剩余 3 小时 20 分" / "已超时 2 天 5 小时" until (or since) an ISO time, by this browser's clock.
// Late as soon as the deadline has passed; a started minute counts (never "剩余 0 分钟").
export function countdown(iso, now = Date.now()) {
  const ms = Date.parse(iso) - now;
  const late = ms <= 0;
  const span = Math.max(1, Math.ceil(Math.abs(ms) / 60_000));
  const days = Math.floor(span / 1440);
  const hours = Math.floor((span % 1440) / 60);
  const text = days ? `${days} 天 ${hours} 小时` : hours ? `${hours} 小时 ${span % 60} 分` : `${span % 60} 分钟`;
  return { late, text: late ? `已超时 ${text}` : `剩余 ${text}` };
}

// Keep the page's filters in the address bar, so a view can be shared and reloaded.
export function readHash() {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const out = {};
  for (const [key, value] of params) (out[key] ||= []).push(value);
  return out;
}

export function writeHash(values) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    for (const one of [].concat(value)) if (one !== "" && one !== undefined && one !== null) params.append(key, one);
  }
  history.replaceState(null, "", `#${params.toString()}`);
}
