/// The console's core script: language, DOM helpers that only ever set text, API calls and
/// the hash router. The pages are in ``ConsoleViews``, sign-in in ``ConsoleSignIn``.
///
/// Every call to the producer goes through `request(method, path, body)` (`App.get`,
/// `App.post`): it sends the session's CSRF token with each request other than GET and HEAD,
/// and shows the sign-in page when the producer answers 401.
///
/// Everything that comes from Dify or from records (outputs, errors, node titles, ids) is
/// put into the page with `textContent` or text nodes, never as markup.
enum ConsoleScript {
    static let text = #"""
        "use strict";
        (function () {
          const App = window.App = { views: {} };

          // MARK: language
          function browserLanguage() {
            const preferred = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
            return preferred.some(function (tag) { return /^zh/i.test(tag); }) ? "zh-CN" : "en";
          }
          App.lang = localStorage.getItem("dify-scheduler.lang") || browserLanguage();
          if (!window.I18N[App.lang]) App.lang = "en";
          App.t = function (key) {
            const table = window.I18N[App.lang] || {};
            return table[key] || window.I18N.en[key] || key;
          };
          App.setLanguage = function (lang) {
            App.lang = lang;
            localStorage.setItem("dify-scheduler.lang", lang);
            applyLanguage();
            render();
          };
          function applyLanguage() {
            document.documentElement.lang = App.lang;
            document.querySelectorAll("[data-i18n]").forEach(function (node) { node.textContent = App.t(node.dataset.i18n); });
            document.getElementById("language").textContent = App.t("language.switch");
          }

          // MARK: DOM helpers (text only)
          App.el = function (tag, props) {
            const node = document.createElement(tag);
            const attributes = props || {};
            Object.keys(attributes).forEach(function (name) {
              const value = attributes[name];
              if (value === undefined || value === null || value === false) return;
              if (name === "class") node.className = value;
              else if (name === "text") node.textContent = String(value);
              else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
              else node.setAttribute(name, String(value));
            });
            for (let index = 2; index < arguments.length; index++) append(node, arguments[index]);
            return node;
          };
          function append(node, child) {
            if (child === undefined || child === null || child === false) return;
            if (Array.isArray(child)) { child.forEach(function (item) { append(node, item); }); return; }
            node.append(child instanceof Node ? child : document.createTextNode(String(child)));
          }
          App.clear = function (node) { while (node.firstChild) node.removeChild(node.firstChild); return node; };

          App.time = function (iso) {
            if (!iso) return App.el("span", { class: "muted", text: "–" });
            const date = new Date(iso);
            return App.el("time", { datetime: iso, title: date.toISOString().replace(".000Z", "Z") + " UTC", text: date.toLocaleString(App.lang) });
          };
          App.duration = function (ms) {
            if (ms === undefined || ms === null) return "–";
            if (ms < 1000) return ms + " ms";
            const seconds = ms / 1000;
            if (seconds < 60) return seconds.toFixed(seconds < 10 ? 2 : 1) + " s";
            const minutes = Math.floor(seconds / 60);
            if (minutes < 60) return minutes + " m " + Math.round(seconds - minutes * 60) + " s";
            return Math.floor(minutes / 60) + " h " + (minutes % 60) + " m";
          };
          App.number = function (value) {
            return value === undefined || value === null ? "–" : Number(value).toLocaleString(App.lang);
          };
          App.status = function (status) {
            return App.el("span", { class: "status " + String(status).replace(/[^a-z_]/g, ""), text: status });
          };
          App.json = function (value) {
            return App.el("pre", { class: "json", text: JSON.stringify(value, null, 2) });
          };
          App.notice = function (text, isError) {
            const box = document.getElementById("notice");
            box.textContent = text || "";
            box.className = isError ? "notice error" : "notice";
            box.hidden = !text;
          };

          // MARK: API
          App.query = function (params) {
            const search = new URLSearchParams();
            Object.keys(params || {}).forEach(function (name) {
              const value = params[name];
              if (value !== undefined && value !== null && value !== "") search.set(name, value);
            });
            const text = search.toString();
            return text ? "?" + text : "";
          };
          // `extra` may give more headers, and a text body (`text`) with its `contentType`.
          async function request(method, path, body, extra) {
            const options = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
            // A state-changing request with the session cookie needs the session's CSRF token.
            if (method !== "GET" && method !== "HEAD" && App.session && App.session.csrf_token) {
              options.headers["X-CSRF-Token"] = App.session.csrf_token;
            }
            if (body !== undefined) {
              options.headers["Content-Type"] = "application/json";
              options.body = JSON.stringify(body);
            }
            if (extra && extra.text !== undefined) {
              options.headers["Content-Type"] = extra.contentType || "text/plain; charset=utf-8";
              options.body = extra.text;
            }
            Object.assign(options.headers, (extra && extra.headers) || {});
            const response = await fetch(path, options);
            const text = await response.text();
            let data = null;
            try { data = text ? JSON.parse(text) : null; } catch (error) { data = null; }
            if (!response.ok) {
              const message = data && data.error && data.error.message ? data.error.message : response.status + " " + response.statusText;
              const failure = new Error(message);
              failure.status = response.status;
              if (response.status === 401 && App.sessionEnded) App.sessionEnded();
              throw failure;
            }
            return data;
          }
          App.get = function (path, params) { return request("GET", path + App.query(params)); };
          App.post = function (path, body) { return request("POST", path, body); };
          App.request = request;

          // MARK: router
          App.route = function () {
            const hash = location.hash.replace(/^#/, "") || "/dashboard";
            const mark = hash.indexOf("?");
            const path = mark < 0 ? hash : hash.slice(0, mark);
            const params = {};
            new URLSearchParams(mark < 0 ? "" : hash.slice(mark + 1)).forEach(function (value, name) { params[name] = value; });
            const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
            return { parts: parts, params: params };
          };
          App.go = function (path, params) {
            location.hash = "#" + path + App.query(params);
          };
          let generation = 0;
          async function render() {
            const current = ++generation;
            const route = App.route();
            const name = route.parts[0] || "dashboard";
            document.querySelectorAll("header nav a").forEach(function (link) {
              link.classList.toggle("active", link.dataset.view === name);
            });
            App.notice("");
            const root = App.clear(document.getElementById("view"));
            let view = route.parts.length > 1 && name === "runs" ? App.views.run : App.views[name] || App.views.dashboard;
            if (App.session === null && App.views.signin) view = App.views.signin;
            root.dataset.view = name;
            root.dataset.state = "loading";
            try {
              await view(root, route);
            } catch (error) {
              if (current === generation) App.notice(App.t("error.load") + ": " + error.message, true);
            }
            if (current === generation) root.dataset.state = "ready";
          }
          App.render = render;

          document.addEventListener("DOMContentLoaded", function () {
            document.getElementById("language").addEventListener("click", function () {
              App.setLanguage(App.lang === "en" ? "zh-CN" : "en");
            });
            window.addEventListener("hashchange", render);
            applyLanguage();
            // The sign-in script (signin.js) loads the caller's session before the first view.
            Promise.resolve(App.loadSession ? App.loadSession() : null).then(render, render);
          });
        })();
        """#
}
