// 系统管理 · 用户 and API 密钥: list, add, edit, enable/disable, reset a password; create an API key
// (shown once, in this page's memory only: never in storage or the address) and revoke one.
// Every rule (name, password length, departments, not locking oneself out) is the API's: its
// Chinese `detail` is shown as it comes.
import { deleteJSON, getJSON, patchJSON, postJSON } from "./api.js";
import { LABELS, el, fillRows, fmtTime, label, toast } from "./common.js";

const state = { me: null, users: [], departments: [], editing: null };

const departmentName = (code) => state.departments.find((d) => d.code === code)?.name || code || "—";

function showMessage(id, text) {
  const box = document.getElementById(id);
  box.textContent = text || "";
  box.hidden = !text;
}

function fillChoices() {
  for (const select of document.querySelectorAll(".role-select")) {
    select.replaceChildren(...Object.entries(LABELS.role).map(([code, name]) => el("option", { value: code }, name)));
    select.value = "viewer";
  }
  for (const select of document.querySelectorAll(".department-select")) {
    select.replaceChildren(el("option", { value: "" }, "（不属于部门）"),
      ...state.departments.map((d) => el("option", { value: d.code }, d.name)));
  }
}

// ---- users ------------------------------------------------------------------------------
function userRow(user) {
  const self = user.username === state.me.username;
  return el("tr", { dataset: { username: user.username }, class: user.active ? "" : "disabled" },
    el("td", {}, user.username, self ? el("small", { class: "hint" }, "（本人）") : null),
    el("td", {}, user.display_name), el("td", { class: "role nw" }, label("role", user.role)),
    el("td", {}, departmentName(user.department)), el("td", { class: "hide-narrow" }, user.email || "—"),
    el("td", { class: "status" }, el("span", { class: `badge ${user.active ? "ok" : "none"}` }, user.active ? "启用" : "停用")),
    el("td", { class: "hide-narrow" }, fmtTime(user.created_at)),
    el("td", { class: "hide-narrow" }, fmtTime(user.password_changed_at)),
    el("td", { class: "nw" },
      el("button", { type: "button", class: "link edit", onclick: () => openEdit(user) }, "编辑"), " · ",
      el("button", { type: "button", class: "link toggle", onclick: () => setActive(user, !user.active) },
         user.active ? "停用" : "启用")));
}

export async function loadUsers() {
  const panel = document.getElementById("tab-users");
  try {
    state.users = await getJSON("/api/users");
    document.querySelector("#users tbody").replaceChildren(...state.users.map(userRow));
    panel.dataset.state = "ready";
  } catch (error) {
    panel.dataset.state = "error";
    toast(`加载用户失败：${error.message}`, "error");
  }
}

async function setActive(user, active) {
  try {
    await patchJSON(`/api/users/${encodeURIComponent(user.username)}`, { active });
    toast(`已${active ? "启用" : "停用"}用户 ${user.username}`);
  } catch (error) {
    toast(error.message, "error");
  }
  await loadUsers();
}

function openEdit(user) {
  state.editing = user;
  showMessage("edit-error", "");
  document.getElementById("e-username").textContent = `${user.display_name}（${user.username}）`;
  document.getElementById("e-display").value = user.display_name;
  document.getElementById("e-role").value = user.role;
  document.getElementById("e-department").value = user.department;
  document.getElementById("e-email").value = user.email;
  document.getElementById("e-active").checked = user.active;
  document.getElementById("e-password").value = "";
  const box = document.getElementById("user-edit");
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}

// Only what was changed is sent: a change of role or department ends the user's sessions.
function changes(form, user) {
  const wanted = { display_name: form.display_name.value.trim(), role: form.role.value,
                   department: form.department.value, email: form.email.value.trim(), active: form.active.checked };
  return Object.fromEntries(Object.entries(wanted).filter(([key, value]) => value !== user[key]));
}

function setUpUserForms() {
  const add = document.getElementById("user-form");
  add.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { username: add.username.value.trim(), display_name: add.display_name.value.trim(),
                   role: add.role.value, department: add.department.value, email: add.email.value.trim(),
                   password: add.password.value };
    try {
      await postJSON("/api/users", body);
      showMessage("user-error", "");
      add.reset();
      add.role.value = "viewer";
      toast(`已添加用户 ${body.username}`);
    } catch (error) {
      showMessage("user-error", error.message);
    }
    await loadUsers();
  });
  const edit = document.getElementById("edit-form");
  edit.addEventListener("submit", async (event) => {
    event.preventDefault();
    const user = state.editing;
    const body = changes(edit, user);
    if (!Object.keys(body).length) return showMessage("edit-error", "没有修改");
    try {
      await patchJSON(`/api/users/${encodeURIComponent(user.username)}`, body);
      showMessage("edit-error", "");
      document.getElementById("user-edit").hidden = true;
      toast(`已保存用户 ${user.username}`);
    } catch (error) {
      showMessage("edit-error", error.message);
    }
    await loadUsers();
  });
  document.getElementById("edit-cancel").addEventListener("click", () => {
    document.getElementById("user-edit").hidden = true;
  });
  const reset = document.getElementById("reset-form");
  reset.addEventListener("submit", async (event) => {
    event.preventDefault();
    const user = state.editing;
    try {
      await postJSON(`/api/users/${encodeURIComponent(user.username)}/password`, { password: reset.password.value });
      reset.reset();
      showMessage("edit-error", "");
      toast(`已重置 ${user.username} 的密码，其原有登录已失效`);
    } catch (error) {
      showMessage("edit-error", error.message);
    }
    await loadUsers();
  });
}

// ---- API keys ---------------------------------------------------------------------------
function keyStatus(key) {
  return key.revoked_at ? el("span", { class: "badge none" }, `已吊销 ${fmtTime(key.revoked_at)}`)
    : el("span", { class: "badge ok" }, "有效");
}

function keyRow(key) {
  const actions = el("td", { class: "nw actions" });
  const ask = () => actions.replaceChildren("确定吊销？",
    el("button", { type: "button", class: "link confirm-revoke", onclick: () => revoke(key.name) }, "确认吊销"), " · ",
    el("button", { type: "button", class: "link", onclick: () => actions.replaceChildren(revokeButton) }, "取消"));
  const revokeButton = el("button", { type: "button", class: "link revoke", onclick: ask }, "吊销");
  if (!key.revoked_at) actions.append(revokeButton);
  else actions.append("—");
  return el("tr", { dataset: { name: key.name }, class: key.revoked_at ? "disabled" : "" },
    el("td", {}, key.name), el("td", {}, el("code", {}, `${key.prefix}…`)), el("td", { class: "nw" }, label("role", key.role)),
    el("td", { class: "hide-narrow" }, departmentName(key.department)), el("td", { class: "hide-narrow" }, key.created_by),
    el("td", { class: "hide-narrow" }, fmtTime(key.created_at)),
    el("td", { class: "nw last-used" }, key.last_used_at ? fmtTime(key.last_used_at) : "从未使用"),
    el("td", { class: "status" }, keyStatus(key)), actions);
}

export async function loadKeys() {
  const panel = document.getElementById("tab-keys");
  try {
    const keys = await getJSON("/api/api-keys");
    const body = document.querySelector("#keys tbody");
    fillRows(body, keys, keyRow, "尚无 API 密钥");
    panel.dataset.state = "ready";
  } catch (error) {
    panel.dataset.state = "error";
    toast(`加载密钥失败：${error.message}`, "error");
  }
}

async function revoke(name) {
  try {
    await deleteJSON(`/api/api-keys/${encodeURIComponent(name)}`);
    toast(`已吊销密钥 ${name}，使用它的调用将被拒绝`);
  } catch (error) {
    toast(error.message, "error");
  }
  await loadKeys();
}

function closeCreatedKey() {
  document.getElementById("key-value").textContent = "";
  document.getElementById("key-created").hidden = true;
}

async function copyKey() {
  const code = document.getElementById("key-value");
  try {
    await navigator.clipboard.writeText(code.textContent);
    toast("已复制密钥");
  } catch {
    const range = document.createRange();
    range.selectNodeContents(code);
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
    toast("浏览器不允许自动复制：密钥已选中，请按 Ctrl+C 复制", "error");
  }
}

function setUpKeyForm() {
  const form = document.getElementById("key-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    closeCreatedKey();
    const body = { name: form.name.value.trim(), role: form.role.value, department: form.department.value };
    try {
      const created = await postJSON("/api/api-keys", body);
      showMessage("key-error", "");
      form.reset();
      form.role.value = "viewer";
      document.getElementById("key-created-name").textContent = created.name;
      document.getElementById("key-value").textContent = created.key;
      document.getElementById("key-created").hidden = false;
    } catch (error) {
      showMessage("key-error", error.message);
    }
    await loadKeys();
  });
  document.getElementById("key-copy").addEventListener("click", copyKey);
  document.getElementById("key-done").addEventListener("click", closeCreatedKey);
}

export async function setUpAccounts(me) {
  state.me = me;
  const [departments, rules] = await Promise.all([getJSON("/api/departments").catch(() => []),
                                                  getJSON("/api/users/rules").catch(() => null)]);
  state.departments = departments;
  fillChoices();
  if (rules) {
    document.getElementById("user-rules").textContent =
      `用户名${rules.name_rule}；密码至少 ${rules.min_password_length} 个字符；责任部门用户须选择部门`;
  }
  setUpUserForms();
  setUpKeyForm();
  await Promise.all([loadUsers(), loadKeys()]);
}
