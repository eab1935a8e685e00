import { login, safeNext } from "./auth.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const data = Object.fromEntries(new FormData(form));
  try {
    await login({ username: data.username.trim(), password: data.password });
    window.location.assign(safeNext(new URLSearchParams(window.location.search).get("next")));
  } catch (problem) {
    error.textContent = `登录失败：${problem.message}`;
    error.hidden = false;
  }
});
