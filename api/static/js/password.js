// 修改密码: the user's own password through POST /api/auth/password. The server ends every token
// of the user on success, so the page logs in again with the new password (auth.js keeps it).
import { postJSON } from "./api.js";
import { login } from "./auth.js";
import { initShell } from "./common.js";

const form = document.getElementById("password-form");
const error = document.getElementById("password-error");
const done = document.getElementById("password-done");

function refuse(message) {
  error.textContent = message;
  error.hidden = false;
}

async function submit(user, event) {
  event.preventDefault();
  error.hidden = true;
  done.hidden = true;
  const data = Object.fromEntries(new FormData(form));
  if (data.new_password !== data.repeat) return refuse("两次输入的新密码不一致");
  if (data.new_password === data.current_password) return refuse("新密码不能与当前密码相同");
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await postJSON("/api/auth/password", { current_password: data.current_password, new_password: data.new_password });
  } catch (problem) {
    button.disabled = false;
    return refuse(`密码未修改：${problem.message}`);
  }
  try {
    await login({ username: user.username, password: data.new_password });
    form.reset();
    done.textContent = "密码已修改";
    done.hidden = false;
  } catch {
    window.location.assign("/login");  // changed, but the new login failed: log in by hand
  } finally {
    button.disabled = false;
  }
}

async function main() {
  const user = await initShell();
  if (user) form.addEventListener("submit", (event) => submit(user, event));
}

main();
