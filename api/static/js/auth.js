// The one place that knows how the pages obtain, keep and send credentials.
//
// Today (before users and roles): the login page asks for the access token `api.token`;
// it is kept in sessionStorage (gone when the tab closes) and sent as
// `Authorization: Bearer <token>`. Without a configured token the API serves this machine
// only, and the pages work without logging in there.
//
// With users and roles (issue 6) the server renders the login page in "password" mode as
// soon as `POST /api/auth/login` exists (api/pages/__init__.py, login_mode()); this module
// then posts the user name and password, keeps the returned `access_token` until its
// `expires_at`, asks `GET /api/auth/me` who is logged in and ends the token with
// `POST /api/auth/logout`. Nothing else in the pages touches credentials.

const KEY = "yuqing.auth";

export function loginMode() {
  return document.body.dataset.loginMode === "password" ? "password" : "token";
}

function load() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (saved && saved.expiresAt && Date.parse(saved.expiresAt) <= Date.now()) {
      sessionStorage.removeItem(KEY);
      return null;
    }
    return saved;
  } catch {
    return null;
  }
}

function save(value) {
  sessionStorage.setItem(KEY, JSON.stringify(value));
}

export function authHeaders() {
  const saved = load();
  return saved && saved.token ? { Authorization: `Bearer ${saved.token}` } : {};
}

async function detailOf(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
  } catch { /* not JSON */ }
  return `HTTP ${response.status}`;
}

// Log in with {token} (token mode) or {username, password} (password mode); throws Error(detail).
export async function login(form) {
  if (loginMode() === "password") {
    const response = await fetch("/api/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: form.username, password: form.password }),
    });
    if (!response.ok) throw new Error(await detailOf(response));
    const data = await response.json();
    save({ token: data.access_token, expiresAt: data.expires_at,
           user: { username: data.username, display_name: data.username, role: data.role,
                   department: data.department } });
    return;
  }
  save({ token: (form.token || "").trim(), user: null });
  const probe = await fetch("/api/stats/facets/platform?limit=1", { headers: authHeaders() });
  if (!probe.ok) {
    sessionStorage.removeItem(KEY);
    throw new Error(await detailOf(probe));
  }
}

// Who is using the pages: {display_name, role, department}. With the shared access token
// every role is allowed by the API, so the pages show everything.
export async function currentUser() {
  const saved = load();
  if (loginMode() === "password") {
    if (saved && saved.user && saved.user.checked) return saved.user;
    const response = await fetch("/api/auth/me", { headers: authHeaders() });
    if (response.status === 401) return null;
    if (!response.ok) throw new Error(await detailOf(response));
    const me = await response.json();
    if (saved) save({ ...saved, user: { ...me, checked: true } });
    return me;
  }
  return { display_name: saved && saved.token ? "令牌用户" : "本机用户", role: "admin", department: "" };
}

export async function logout() {
  if (loginMode() === "password" && load()) {
    await fetch("/api/auth/logout", { method: "POST", headers: authHeaders() }).catch(() => {});
  }
  sessionStorage.removeItem(KEY);
  window.location.assign("/login");
}

// Send the browser to the login page, coming back here afterwards.
export function toLogin() {
  const here = window.location.pathname + window.location.search;
  window.location.assign(`/login?next=${encodeURIComponent(here)}`);
}

// Only same-site paths are followed after logging in (no open redirect).
export function safeNext(value) {
  return value && value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") ? value : "/";
}
