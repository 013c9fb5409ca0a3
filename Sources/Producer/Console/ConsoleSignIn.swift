/// The console's sign-in: the page where the user pastes an API token, the caller's name and
/// role in the header with a sign-out button, and hiding of buttons the role may not use.
///
/// At start the script reads the caller from `GET /v1/session`. Without a session (401) it
/// shows the sign-in page; `POST /v1/session` then sets the session cookie, which the browser
/// sends from then on, and returns the CSRF token, which ``ConsoleScript``'s request helper
/// sends in `X-CSRF-Token`. The token itself is never stored by the console. The body gets a
/// `may-PERMISSION` class per permission of the role, and the style sheet hides every element
/// whose `data-permission` names one the role lacks, so views mark their buttons with
/// `data-permission="trigger"` and the like. The producer checks the role on every request;
/// hiding only spares the user a 403.
enum ConsoleSignIn {
    static let script = #"""
        "use strict";
        (function () {
          const App = window.App;
          Object.assign(window.I18N.en, {
            "signin.title": "Sign in", "signin.token": "API token", "signin.submit": "Sign in",
            "signin.intro": "Paste your API token. The console keeps you signed in with a cookie and does not store the token. An admin makes tokens with dify-producer hash-token.",
            "signin.failed": "Sign-in failed", "signin.ended": "Your session has ended: sign in again.",
            "signin.empty": "Paste a token first.", "session.signOut": "Sign out",
            "role.admin": "admin", "role.developer": "developer", "role.operator": "operator", "role.viewer": "viewer"
          });
          Object.assign(window.I18N["zh-CN"], {
            "signin.title": "登录", "signin.token": "API 令牌", "signin.submit": "登录",
            "signin.intro": "请粘贴你的 API 令牌。控制台通过 Cookie 保持登录，不会保存令牌。管理员可用 dify-producer hash-token 生成令牌。",
            "signin.failed": "登录失败", "signin.ended": "会话已结束，请重新登录。",
            "signin.empty": "请先粘贴令牌。", "session.signOut": "退出登录",
            "role.admin": "管理员", "role.developer": "开发者", "role.operator": "运维", "role.viewer": "只读"
          });
          const PERMISSIONS = ["read", "edit_jobs", "pause_resume", "trigger", "backfill", "administer"];

          // undefined: not known yet; null: signed out; else the body of GET /v1/session.
          App.session = undefined;

          /// True when the signed-in role has `permission` (see AccessPermission).
          App.may = function (permission) {
            return !!(App.session && App.session.permissions && App.session.permissions.indexOf(permission) >= 0);
          };

          function showSession() {
            const body = document.body;
            PERMISSIONS.forEach(function (permission) { body.classList.toggle("may-" + permission, App.may(permission)); });
            body.classList.toggle("signed-out", App.session === null);
            const box = App.clear(document.getElementById("session"));
            if (!App.session) return;
            box.append(App.el("span", { id: "session-user", title: App.session.via, text: App.session.actor }), " ",
              App.el("span", { id: "session-role", class: "role", text: App.t("role." + App.session.role) }));
            if (App.session.via === "session") {
              box.append(" ", App.el("button", { id: "sign-out", type: "button", text: App.t("session.signOut"), onclick: signOut }));
            }
          }

          async function fetchSession() {
            const response = await fetch("/v1/session", { headers: { "Accept": "application/json" }, credentials: "same-origin" });
            if (response.status === 401) return null;
            if (!response.ok) throw new Error("GET /v1/session: " + response.status);
            return response.json();
          }

          App.loadSession = async function () {
            try { App.session = await fetchSession(); } catch (error) { App.session = null; }
            showSession();
          };

          /// Called by the request helper when the producer returns 401: the session has ended.
          App.sessionEnded = function () {
            if (App.session === null) return;
            App.session = null;
            showSession();
            App.render().then(function () { App.notice(App.t("signin.ended"), true); });
          };

          async function signOut() {
            try { await App.request("DELETE", "/v1/session"); } catch (error) { /* already signed out */ }
            App.session = null;
            showSession();
            App.render();
          }

          App.views.signin = async function (root) {
            document.querySelectorAll("header nav a").forEach(function (link) { link.classList.remove("active"); });
            root.dataset.view = "signin";
            const input = App.el("input", { id: "signin-token", type: "password", name: "token", autocomplete: "off", spellcheck: "false" });
            const submit = App.el("button", { class: "action primary", type: "submit", text: App.t("signin.submit") });
            const form = App.el("form", { id: "signin-form", class: "signin" },
              App.el("h1", { text: App.t("signin.title") }),
              App.el("p", { class: "muted", text: App.t("signin.intro") }),
              App.el("label", {}, App.t("signin.token"), input),
              App.el("p", {}, submit));
            form.addEventListener("submit", async function (event) {
              event.preventDefault();
              const token = input.value.trim();
              if (!token) { App.notice(App.t("signin.empty"), true); return; }
              submit.disabled = true;
              try {
                const response = await fetch("/v1/session", {
                  method: "POST", credentials: "same-origin",
                  headers: { "Accept": "application/json", "Content-Type": "application/json" },
                  body: JSON.stringify({ token: token })
                });
                const data = await response.json().catch(function () { return null; });
                if (!response.ok) {
                  const message = data && data.error && data.error.message ? data.error.message : String(response.status);
                  App.notice(App.t("signin.failed") + ": " + message, true);
                  return;
                }
                input.value = "";
                App.session = data;
                showSession();
                if (App.route().parts[0] === "signin") App.go("/dashboard"); else App.render();
              } finally {
                submit.disabled = false;
              }
            });
            root.append(form);
            input.focus();
          };

          // The name and role in the header follow a language switch.
          const setLanguage = App.setLanguage;
          App.setLanguage = function (lang) { setLanguage(lang); showSession(); };

          document.addEventListener("DOMContentLoaded", showSession);
        })();
        """#

    static let styles = #"""
        #session { display: flex; gap: 6px; align-items: center; color: #cbd5e1; font-size: 13px; }
        #session .role { padding: 1px 8px; border-radius: 10px; background: #374151; color: #fff; font-size: 12px; }
        form.signin { max-width: 460px; margin: 40px auto; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 20px; }
        form.signin label { display: flex; flex-direction: column; gap: 4px; font-size: 12px; color: var(--muted); }
        form.signin input { font-family: ui-monospace, monospace; }
        body.signed-out header nav { visibility: hidden; }
        body:not(.may-edit_jobs) [data-permission~="edit_jobs"], body:not(.may-pause_resume) [data-permission~="pause_resume"],
        body:not(.may-trigger) [data-permission~="trigger"], body:not(.may-backfill) [data-permission~="backfill"],
        body:not(.may-administer) [data-permission~="administer"] { display: none !important; }
        """#
}
