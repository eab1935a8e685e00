// JSON calls to the yuqing API with the credentials from auth.js; a 401 leads to the login page.
import { authHeaders, toLogin } from "./auth.js";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

// URLSearchParams from an object; arrays repeat the key, empty values are left out.
export function toQuery(params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one !== undefined && one !== null && one !== "") query.append(key, String(one));
    }
  }
  return query;
}

// `body`: an object sent as JSON, or FormData sent as multipart (the browser sets its boundary).
async function call(method, path, params, body) {
  const query = toQuery(params).toString();
  const headers = { Accept: "application/json", ...authHeaders() };
  const form = body instanceof FormData;
  if (body !== undefined && !form) headers["Content-Type"] = "application/json";
  const response = await fetch(query ? `${path}?${query}` : path, {
    method, headers, body: body === undefined || form ? body : JSON.stringify(body),
  });
  if (response.status === 401) {
    toLogin();
    throw new ApiError(401, "需要登录");
  }
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try {
      const data = await response.json();
      if (typeof data.detail === "string") detail = data.detail;
    } catch { /* not JSON */ }
    throw new ApiError(response.status, detail);
  }
  return response.status === 204 ? null : response.json();
}

export const getJSON = (path, params) => call("GET", path, params);
export const postJSON = (path, body, params) => call("POST", path, params, body ?? {});
export const putJSON = (path, body, params) => call("PUT", path, params, body ?? {});
export const patchJSON = (path, body, params) => call("PATCH", path, params, body ?? {});
export const deleteJSON = (path, params) => call("DELETE", path, params);

// Upload one file as multipart form data (field `field`); the answer is JSON.
export function postFile(path, file, field = "file") {
  const form = new FormData();
  form.append(field, file, file.name);
  return call("POST", path, undefined, form);
}

// Download a file the API serves (with credentials), saved under the server's name.
export async function download(path, fallbackName) {
  const response = await fetch(path, { headers: authHeaders() });
  if (response.status === 401) return toLogin();
  if (!response.ok) throw new ApiError(response.status, `HTTP ${response.status}`);
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = match ? decodeURIComponent(match[1]) : fallbackName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
