// The one place that knows how the pages obtain, keep and send credentials.
//
// The login page posts the user name and password to `POST /api/auth/login`; the returned
// `access_token` is kept in localStorage until its `expires_at` (a working day, `auth.token_hours`)
// and sent as `Authorization: Bearer <token>`. localStorage, not sessionStorage: a ticket link
// opened from a notification e-mail or in a new tab is a new tab, and staff should not log in
// for each one. `GET /api/auth/me` says who is logged in (role, department); `POST
// /api/auth/logout` ends the token on the server, and logging out in one tab sends every other
// tab of the site to the login page. Nothing else in the pages touches credentials.

const KEY = "yuqing.auth";
const storage = window.localStorage;

window.addEventListener("storage", (event) => {
  if (event.key === KEY && !event.newValue && window.location.pathname !== "/login") toLogin();
});

function load() {
  try {
    const saved = JSON.parse(storage.getItem(KEY) || "null");
    if (saved && saved.expiresAt && Date.parse(saved.expiresAt) <= Date.now()) {
      storage.removeItem(KEY);
      return null;
    }
    return saved;
  } catch {
    return null;
  }
}

function save(value) {
  storage.setItem(KEY, JSON.stringify(value));
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

// Log in with {username, password}; throws Error(detail) when refused.
export async function login({ username, password }) {
  const response = await fetch("/api/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new Error(await detailOf(response));
  const data = await response.json();
  save({ token: data.access_token, expiresAt: data.expires_at, user: null });
}

// Who is using the pages: {username, display_name, role, department}, or null when not logged in.
export async function currentUser() {
  const saved = load();
  if (!saved) return null;
  if (saved.user) return saved.user;
  const response = await fetch("/api/auth/me", { headers: authHeaders() });
  if (response.status === 401) {
    storage.removeItem(KEY);
    return null;
  }
  if (!response.ok) throw new Error(await detailOf(response));
  const me = await response.json();
  save({ ...saved, user: me });
  return me;
}

export async function logout() {
  if (load()) await fetch("/api/auth/logout", { method: "POST", headers: authHeaders() }).catch(() => {});
  storage.removeItem(KEY);
  window.location.assign("/login");
}

// Send the browser to the login page, coming back here afterwards: the whole address, with the
// filters kept after "#" (a shared overview link opens as it was shared).
export function toLogin() {
  storage.removeItem(KEY);
  const here = window.location.pathname + window.location.search + window.location.hash;
  window.location.assign(`/login?next=${encodeURIComponent(here)}`);
}

// Only paths of this site are followed after logging in (no open redirect): "//host", "/\\host",
// "https://host" and anything the browser would resolve to another origin go to "/".
export function safeNext(value, origin = window.location.origin) {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  if (/[\u0000-\u001f\\]/.test(value)) return "/";  // browsers drop tabs and newlines: "/\t/host" is "//host"
  try {
    const url = new URL(value, origin);
    return url.origin === origin ? url.pathname + url.search + url.hash : "/";
  } catch {
    return "/";
  }
}
