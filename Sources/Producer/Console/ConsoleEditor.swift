/// The console's job editor, served as `/console/editor.js` and `/console/editor.css`: create,
/// edit, pause, resume and delete jobs at `#/jobs/new` and `#/jobs/ID`.
///
/// The job is edited as YAML, the format of job files. Every change is checked by
/// `POST /v1/jobs/preview` (the validator of `dify-producer validate`), which also returns the
/// next fires in the job's zone and the inputs of the next fire. Saving shows a line diff of the
/// stored job against the new one first, and an update sends the ETag it read in `If-Match`, so
/// an edit made meanwhile by someone else is reported instead of overwritten. Jobs from job
/// files are shown read-only. Buttons follow the caller's permissions from `GET /v1/session`.
/// Like the other pages, it puts server text into the page only as text, never as markup.
enum ConsoleEditor {
    static let script = ConsoleEditorTranslations.script + "\n" + #"""
        (function () {
          const App = window.App;
          const el = App.el;
          const t = App.t;

          // MARK: caller
          let callerRequest = null;
          /// Resolves to the caller's actor, role and a can(permission) test, from App.session
          /// (loaded by signin.js) or else from GET /v1/session. Without either, every button
          /// shows and the server decides.
          App.caller = function () {
            if (App.session && App.session.permissions) {
              const granted = new Set(App.session.permissions);
              return Promise.resolve({ actor: App.session.actor, role: App.session.role, known: true,
                can: function (name) { return granted.has(name); } });
            }
            if (!callerRequest) {
              callerRequest = App.get("/v1/session").then(function (data) {
                const permissions = new Set(data.permissions || []);
                return { actor: data.actor, role: data.role, known: true, can: function (name) { return permissions.has(name); } };
              }).catch(function () {
                callerRequest = null;
                return { actor: null, role: null, known: false, can: function () { return true; } };
              });
            }
            return callerRequest;
          };
          App.forgetCaller = function () { callerRequest = null; };

          // MARK: YAML text of a job
          const TOP_ORDER = ["id", "app", "kind", "description", "owner", "labels", "schedule", "inputs", "query", "conversation", "user",
            "response_mode", "timeout", "retry", "overlap", "misfire", "misfire_threshold", "catchup_window", "max_catchup", "max_delay",
            "priority", "expected_tokens", "alerts", "store_io", "cleanup", "on_success", "on_failure"];
          const SCHEDULE_ORDER = ["cron", "every", "delay", "at", "timezone", "calendar", "calendar_mode", "start", "end", "max_runs",
            "jitter", "dst_gap", "dst_overlap", "day_match", "cron_dialect"];

          function orderedKeys(object, order) {
            const keys = Object.keys(object);
            const first = (order || []).filter(function (key) { return keys.indexOf(key) >= 0; });
            return first.concat(keys.filter(function (key) { return first.indexOf(key) < 0; }).sort());
          }
          // A string may stay unquoted only when YAML's core schema reads it back as the same text.
          function plainSafe(text) {
            if (text === "" || text !== text.trim()) return false;
            if (/^(true|false|null|~|yes|no|on|off|y|n)$/i.test(text)) return false;
            // Durations such as 30s or 1h30m read back as text; other texts that start like a number may not.
            const duration = /^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(text);
            if (!duration && /^[-+]?(\.?\d|\.(inf|nan))/i.test(text)) return false;
            if (/^[-?:,\[\]{}#&*!|>'"%@`]/.test(text)) return false;
            if (/: |:$| #|[\u0000-\u001f\u007f]/.test(text)) return false;
            return !/[{}\[\],]/.test(text);
          }
          function scalar(value) {
            if (value === null || value === undefined) return "null";
            if (typeof value === "boolean" || typeof value === "number") return String(value);
            const text = String(value);
            if (plainSafe(text)) return text;
            // Single quotes read better around text with double quotes, such as a template's date format.
            if (text.indexOf("\"") >= 0 && !/[\u0000-\u001f\u007f]/.test(text)) return "'" + text.replace(/'/g, "''") + "'";
            return JSON.stringify(text);
          }
          // Keys are read back as text whatever they look like, so only their syntax matters.
          function keyText(key) { return /^[A-Za-z_][A-Za-z0-9_.\/-]*$/.test(key) ? key : JSON.stringify(key); }
          function isObject(value) { return value !== null && typeof value === "object" && !Array.isArray(value); }
          function blockLines(text) {
            // A literal block keeps line breaks readable; texts it cannot carry exactly stay quoted.
            if (text.indexOf("\n") < 0 || /[\r\t]/.test(text) || /^ /.test(text) || /\n\n$/.test(text)) return null;
            const lines = text.replace(/\n$/, "").split("\n");
            if (lines.some(function (line) { return / $/.test(line); })) return null;
            return { indicator: /\n$/.test(text) ? "|" : "|-", lines: lines };
          }
          function emitValue(prefix, value, indent, lines, order) {
            const pad = " ".repeat(indent);
            if (isObject(value) && Object.keys(value).length) {
              lines.push(prefix);
              emitMapping(value, indent + 2, lines, order);
            } else if (Array.isArray(value) && value.length) {
              lines.push(prefix);
              emitSequence(value, indent + 2, lines);
            } else if (typeof value === "string" && blockLines(value)) {
              const block = blockLines(value);
              lines.push(prefix + " " + block.indicator);
              block.lines.forEach(function (line) { lines.push(line ? pad + "  " + line : ""); });
            } else {
              lines.push(prefix + " " + (Array.isArray(value) ? "[]" : isObject(value) ? "{}" : scalar(value)));
            }
          }
          function emitMapping(object, indent, lines, order) {
            const pad = " ".repeat(indent);
            orderedKeys(object, order).forEach(function (key) {
              emitValue(pad + keyText(key) + ":", object[key], indent, lines, key === "schedule" && indent === 0 ? SCHEDULE_ORDER : null);
            });
          }
          function emitSequence(items, indent, lines) {
            const pad = " ".repeat(indent);
            items.forEach(function (item) {
              if (isObject(item) && Object.keys(item).length) {
                const nested = [];
                emitMapping(item, indent + 2, nested);
                nested[0] = pad + "- " + nested[0].slice(indent + 2);
                nested.forEach(function (line) { lines.push(line); });
              } else if (Array.isArray(item) && item.length) {
                lines.push(pad + "- " + JSON.stringify(item));
              } else {
                emitValue(pad + "-", item, indent, lines);
              }
            });
          }
          /// The job as YAML, in the order of job files, without the fields the server sets.
          App.jobYAML = function (job) {
            const copy = Object.assign({}, job || {});
            delete copy.v;
            delete copy.managed_by;
            const lines = [];
            emitMapping(copy, 0, lines, TOP_ORDER);
            return lines.join("\n") + "\n";
          };

          // MARK: line diff
          /// Lines of `after` against `before` as {op, text}: " " kept, "-" removed, "+" added,
          /// from a longest common subsequence of lines.
          App.diffLines = function (before, after) {
            const a = before ? before.replace(/\n$/, "").split("\n") : [];
            const b = after ? after.replace(/\n$/, "").split("\n") : [];
            const common = [];
            for (let i = 0; i <= a.length; i++) common.push(new Int32Array(b.length + 1));
            for (let i = a.length - 1; i >= 0; i--) {
              for (let j = b.length - 1; j >= 0; j--) {
                common[i][j] = a[i] === b[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
              }
            }
            const result = [];
            let i = 0, j = 0;
            while (i < a.length && j < b.length) {
              if (a[i] === b[j]) { result.push({ op: " ", text: a[i] }); i++; j++; }
              else if (common[i + 1][j] >= common[i][j + 1]) result.push({ op: "-", text: a[i++] });
              else result.push({ op: "+", text: b[j++] });
            }
            while (i < a.length) result.push({ op: "-", text: a[i++] });
            while (j < b.length) result.push({ op: "+", text: b[j++] });
            return result;
          };

          // MARK: time in a job's zone
          /// Formats an instant as local time in `zone` with its offset, such as
          /// 2026-12-07T09:30:00+08:00, as the preview endpoint does; UTC when the zone is unknown here.
          function zoneTime(iso, zone) {
            const date = new Date(iso);
            const parts = {};
            try {
              new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
                minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "longOffset" })
                .formatToParts(date).forEach(function (part) { parts[part.type] = part.value; });
            } catch (error) {
              return date.toISOString().replace(".000Z", "Z");
            }
            const offset = parts.timeZoneName === "GMT" ? "+00:00" : parts.timeZoneName.replace("GMT", "");
            return parts.year + "-" + parts.month + "-" + parts.day + "T" + parts.hour + ":" + parts.minute + ":" + parts.second + offset;
          }
          function zoneWeekday(iso, zone) {
            try { return new Intl.DateTimeFormat("en-US", { timeZone: zone, weekday: "long" }).format(new Date(iso)); }
            catch (error) { return ""; }
          }

          // MARK: dialogs
          /// Asks to confirm an action; `typed` makes the user type that text first. Resolves to
          /// the note typed (or "") on confirm and null on cancel.
          function confirmDialog(title, message, confirmText, options) {
            const settings = options || {};
            return new Promise(function (resolve) {
              const note = settings.note ? el("input", { type: "text", name: "note", maxlength: "1000", placeholder: t("editor.notePlaceholder") }) : null;
              const typed = settings.typed ? el("input", { type: "text", name: "confirm-id", autocomplete: "off" }) : null;
              const confirm = el("button", { class: "action primary" + (settings.danger ? " danger" : ""), type: "button", "data-confirm": "yes", text: confirmText });
              const dialog = el("dialog", { class: "confirm" }, el("h2", { text: title }), el("p", { text: message }),
                note ? el("label", { class: "field" }, t("editor.note"), note) : null,
                typed ? el("label", { class: "field" }, t("editor.typeToConfirm") + " " + settings.typed, typed) : null,
                el("p", {}, confirm, " ",
                  el("button", { class: "action", type: "button", "data-confirm": "no", text: t("jobs.cancel"), onclick: function () { close(null); } })));
              function close(value) { dialog.close(); dialog.remove(); resolve(value); }
              if (typed) {
                confirm.disabled = true;
                typed.addEventListener("input", function () { confirm.disabled = typed.value !== settings.typed; });
              }
              confirm.addEventListener("click", function () { close(note ? note.value : ""); });
              dialog.addEventListener("cancel", function () { close(null); });
              document.body.append(dialog);
              dialog.showModal();
            });
          }

          // MARK: editor page
          function newJobText(app) {
            return [
              "id: my-job",
              "app: " + scalar(app || "my-app"),
              "description: What this job does and for whom",
              "schedule:",
              "  cron: \"0 9 * * MON-FRI\"",
              "  timezone: Asia/Shanghai",
              "inputs:",
              "  topic: daily report",
              "overlap: skip",
              "",
            ].join("\n");
          }

          // #/jobs lists the jobs (views.js); #/jobs/new and #/jobs/ID open the editor.
          const jobList = App.views.jobs;
          App.views.jobs = function (root, route) {
            return route.parts.length > 1 ? editJob(root, route) : jobList(root, route);
          };

          async function editJob(root, route) {
            const id = route.parts[1];
            const isNew = id === "new";
            const caller = await App.caller();
            let stored = null, etag = null, state = null;
            if (!isNew) {
              try {
                const data = await App.get("/v1/jobs/" + encodeURIComponent(id));
                stored = data.job; etag = data.etag; state = data.state;
              } catch (error) {
                root.append(el("h1", { text: t("editor.title") + ": " + id }),
                  el("p", { class: "notice error", id: "editor-missing", text: error.status === 404 ? t("editor.notFound") : error.message }),
                  el("p", {}, el("a", { href: "#/jobs", text: t("editor.back") })));
                return;
              }
            }
            const fromFile = stored !== null && stored.managed_by !== "api";
            const canEdit = caller.can("edit_jobs") && !fromFile;
            const canPause = caller.can("pause_resume");
            let paused = !!(state && state.paused);

            const saved = sessionStorage.getItem("dify-scheduler.saved");
            if (saved && saved === id) { App.notice(t("editor.saved") + ": " + id); }
            sessionStorage.removeItem("dify-scheduler.saved");

            // Header: title, who manages the job, its state and the caller.
            root.append(el("h1", { text: isNew ? t("editor.newTitle") : t("editor.title") + ": " + id }));
            const facts = el("p", { class: "editor-facts" });
            if (stored) {
              facts.append(el("span", { class: "badge", id: "editor-managed-by", text: "managed_by: " + (stored.managed_by || "file") }), " ",
                el("span", { class: "badge", id: "editor-state", text: paused ? t("jobs.paused") : t("jobs.active") }), " ");
            }
            root.append(facts);
            if (fromFile) {
              root.append(el("p", { class: "notice", id: "editor-readonly", text: t("editor.fromFile") }));
            } else if (!caller.can("edit_jobs")) {
              root.append(el("p", { class: "notice", id: "editor-readonly", text: t("editor.noPermission") + " (" + (caller.role || "?") + ")" }));
            }

            // Pause, resume and delete of a stored job.
            if (stored) {
              const toolbar = el("p", { class: "editor-toolbar" });
              if (canPause) {
                toolbar.append(el("button", { class: "action", type: "button", id: "editor-pause", "data-permission": "pause_resume",
                  text: paused ? t("jobs.resume") : t("jobs.pause"), onclick: togglePause }), " ");
              }
              if (caller.can("edit_jobs") && !fromFile) {
                toolbar.append(el("button", { class: "action danger", type: "button", id: "editor-delete", "data-permission": "edit_jobs", text: t("editor.delete"), onclick: removeJob }), " ");
              }
              toolbar.append(el("a", { href: "#/runs?job=" + encodeURIComponent(id) + "&range=7d", text: t("editor.allRuns") }));
              root.append(toolbar);
            }

            // The text, its problems and the review step on the left; the preview on the right.
            const area = el("textarea", { id: "job-text", name: "job", spellcheck: "false", wrap: "off", autocomplete: "off",
              "aria-label": t("editor.text") });
            area.readOnly = !canEdit;
            const gutter = el("div", { class: "editor-gutter", id: "editor-gutter", "aria-hidden": "true" });
            const status = el("p", { class: "editor-status", id: "editor-status" });
            const problemList = el("ul", { class: "editor-problems", id: "editor-problems" });
            const reviewButton = el("button", { class: "action primary", type: "button", id: "editor-review", text: t("editor.review"), onclick: review });
            reviewButton.disabled = true;
            const diffBox = el("div", { class: "editor-diff", id: "editor-diff" });
            diffBox.hidden = true;
            const fireRows = el("tbody");
            const zoneLine = el("p", { class: "muted", id: "preview-zone" });
            const inputsBox = el("div", { id: "preview-inputs" });
            const warningList = el("ul", { class: "editor-warnings", id: "preview-warnings" });

            root.append(el("div", { class: "editor-grid" },
              el("section", {},
                el("h2", { text: t("editor.text") }),
                el("div", { class: "editor-box" }, gutter, area),
                status, problemList,
                canEdit ? el("p", {}, reviewButton) : null,
                diffBox),
              el("section", {},
                el("h2", { text: t("editor.nextFires") }), zoneLine,
                el("table", { id: "preview-fires" }, el("thead", {}, el("tr", {},
                  el("th", { text: t("editor.localTime") }), el("th", { text: t("editor.weekday") }), el("th", { text: "UTC" }))), fireRows),
                el("h2", { text: t("editor.inputs") }), inputsBox, warningList)));

            const runsBody = el("tbody");
            if (stored) {
              root.append(el("h2", { text: t("editor.recentRuns") }),
                el("table", { id: "job-runs" }, el("thead", {}, el("tr", {}, el("th", { text: t("col.status") }),
                  el("th", { text: t("runs.scheduled") }), el("th", { text: t("col.source") }), el("th", { text: t("col.trigger") }))), runsBody));
              loadRuns();
              const refresher = setInterval(function () {
                if (!runsBody.isConnected) { clearInterval(refresher); return; }
                loadRuns();
              }, 3000);
            }

            // MARK: live preview
            let sequence = 0;
            let latest = null;
            let timer = null;
            function lineMarks(problems) {
              const marks = {};
              problems.forEach(function (problem) {
                if (problem.line) marks[problem.line] = (marks[problem.line] ? marks[problem.line] + "\n" : "") + problem.field + ": " + problem.message;
              });
              return marks;
            }
            function drawGutter(marks) {
              const count = area.value.split("\n").length;
              App.clear(gutter);
              for (let line = 1; line <= count; line++) {
                const mark = marks && marks[line];
                gutter.append(el("div", { class: mark ? "line problem" : "line", "data-line": line, title: mark || null, text: line }));
              }
              gutter.scrollTop = area.scrollTop;
            }
            function goToLine(line) {
              const lines = area.value.split("\n");
              let offset = 0;
              for (let index = 0; index < line - 1 && index < lines.length; index++) offset += lines[index].length + 1;
              area.focus();
              area.setSelectionRange(offset, offset + (lines[line - 1] || "").length);
            }
            function showProblems(problems) {
              App.clear(problemList);
              problems.forEach(function (problem) {
                const item = el("li", { "data-field": problem.field, "data-line": problem.line || null },
                  problem.line ? el("button", { class: "line-link", type: "button", text: t("editor.line") + " " + problem.line,
                    onclick: function () { goToLine(problem.line); } }) : null, " ",
                  el("code", { text: problem.field }), " ", el("span", { class: "message", text: problem.message }));
                if (problem.fix) item.append(el("div", { class: "fix", text: t("editor.fix") + ": " + problem.fix }));
                problemList.append(item);
              });
            }
            function showPreview(result) {
              let problems = result.problems || [];
              if (isNew && result.existing) {
                problems = problems.concat([{ field: "id", message: t("editor.idExists"), line: lineOf("id") }]);
              }
              if (!canEdit) problems = [];
              drawGutter(lineMarks(problems));
              showProblems(problems);
              const valid = result.valid && problems.length === 0;
              if (!canEdit) {
                status.className = "editor-status";
                status.textContent = "";
                status.dataset.valid = "readonly";
              } else {
                status.className = "editor-status " + (valid ? "ok" : "bad");
                status.textContent = valid ? t("editor.valid") : problems.length + " " + t(problems.length === 1 ? "editor.problem" : "editor.problems");
                status.dataset.valid = valid ? "true" : "false";
              }
              reviewButton.disabled = !valid || !canEdit;

              App.clear(fireRows);
              (result.next || []).forEach(function (fire) {
                fireRows.append(el("tr", { "data-fire": fire.scheduled_at },
                  el("td", { text: fire.local }), el("td", { text: fire.weekday }), el("td", { text: fire.scheduled_at })));
              });
              if (!(result.next || []).length) {
                const reason = result.job && result.timezone ? "editor.noFires" : "editor.noFiresInvalid";
                fireRows.append(el("tr", {}, el("td", { colspan: "3", class: "muted", text: t(reason) })));
              }
              zoneLine.textContent = "";
              if (result.timezone) {
                zoneLine.textContent = t("editor.zone") + " " + result.timezone + (result.schedule_text ? " · " + result.schedule_text : "");
              }

              App.clear(inputsBox);
              if (result.inputs) {
                if (result.inputs_for) inputsBox.append(el("p", { class: "muted", text: t("editor.inputsFor") + " " + result.inputs_for }));
                inputsBox.append(App.json(result.inputs));
                if (result.query !== null && result.query !== undefined) inputsBox.append(el("p", { class: "muted", text: "query" }), App.json(result.query));
                if (!result.inputs_rendered) inputsBox.append(el("p", { class: "muted", id: "preview-raw-note", text: t("editor.inputsRaw") }));
              }
              App.clear(warningList);
              (result.warnings || []).forEach(function (warning) { warningList.append(el("li", { text: warning })); });
            }
            function lineOf(key) {
              const lines = area.value.split("\n");
              for (let index = 0; index < lines.length; index++) if (lines[index].indexOf(key + ":") === 0) return index + 1;
              return null;
            }
            // A caller who may not edit jobs may not call the preview either; the stored job's
            // next fires and rendered inputs come from GET /v1/jobs/ID/next instead.
            async function readOnlyPreview() {
              const zone = (stored.schedule && stored.schedule.timezone) || "UTC";
              let data;
              try {
                data = await App.get("/v1/jobs/" + encodeURIComponent(id) + "/next", { count: 5, render: "true" });
              } catch (error) {
                status.className = "editor-status bad";
                status.textContent = error.message;
                return;
              }
              const fires = data.next || [];
              const first = fires[0] || {};
              showPreview({
                valid: true, problems: [], job: stored, timezone: zone,
                warnings: data.paused ? [t("editor.pausedNoFires")] : [],
                next: fires.map(function (fire) {
                  return { scheduled_at: fire.scheduled_at, fire_at: fire.fire_at, local: zoneTime(fire.scheduled_at, zone), weekday: zoneWeekday(fire.scheduled_at, zone) };
                }),
                inputs: first.inputs || stored.inputs || {}, query: first.inputs ? first.query : stored.query,
                inputs_rendered: !!first.inputs, inputs_for: first.scheduled_at || null,
              });
            }
            async function runPreview() {
              if (!canEdit && stored) return readOnlyPreview();
              const current = ++sequence;
              status.className = "editor-status";
              status.textContent = t("editor.checking");
              delete status.dataset.valid;
              let result;
              try {
                result = await App.request("POST", "/v1/jobs/preview" + App.query({ count: 5, id: isNew ? "" : id }), undefined,
                  { text: area.value, contentType: "application/yaml" });
              } catch (error) {
                if (current === sequence) { status.className = "editor-status bad"; status.textContent = error.message; }
                return;
              }
              if (current !== sequence || !area.isConnected) return;
              latest = result;
              showPreview(result);
            }
            area.addEventListener("input", function () {
              latest = null;
              reviewButton.disabled = true;
              status.className = "editor-status";
              status.textContent = t("editor.checking");
              delete status.dataset.valid;
              diffBox.hidden = true;
              drawGutter({});
              clearTimeout(timer);
              timer = setTimeout(runPreview, 400);
            });
            area.addEventListener("scroll", function () { gutter.scrollTop = area.scrollTop; });
            area.addEventListener("keydown", function (event) {
              if (event.key !== "Tab" || area.readOnly) return;
              event.preventDefault();
              area.setRangeText("  ", area.selectionStart, area.selectionEnd, "end");
              area.dispatchEvent(new Event("input"));
            });

            // MARK: review and save
            function review() {
              if (!latest || !latest.valid) return;
              const before = stored ? App.jobYAML(stored) : "";
              const after = App.jobYAML(latest.job);
              const lines = App.diffLines(before, after);
              const changed = lines.some(function (line) { return line.op !== " "; });
              const body = el("tbody");
              lines.forEach(function (line) {
                const kind = { "+": "add", "-": "del", " ": "same" }[line.op];
                body.append(el("tr", { class: "diff-" + kind }, el("td", { class: "sign", text: line.op }), el("td", {}, el("code", { text: line.text }))));
              });
              const save = el("button", { class: "action primary", type: "button", id: "editor-save",
                text: isNew ? t("editor.create") : t("editor.save"), onclick: function () { store(save); } });
              save.disabled = !changed;
              App.clear(diffBox).append(el("div", {}, el("h2", { text: t("editor.diff") }),
                changed ? null : el("p", { class: "muted", id: "editor-unchanged", text: t("editor.unchanged") }),
                el("table", { class: "diff", id: "editor-diff-lines" }, body),
                el("p", {}, save, " ", el("button", { class: "action", type: "button", text: t("editor.keepEditing"),
                  onclick: function () { diffBox.hidden = true; area.focus(); } }))));
              diffBox.hidden = false;
              diffBox.scrollIntoView({ block: "nearest" });
            }
            async function store(button) {
              const job = Object.assign({}, latest.job);
              delete job.v;
              delete job.managed_by;
              button.disabled = true;
              try {
                if (isNew) {
                  await App.request("POST", "/v1/jobs", job);
                } else {
                  await App.request("PUT", "/v1/jobs/" + encodeURIComponent(id), job, { headers: etag ? { "If-Match": etag } : {} });
                }
                sessionStorage.setItem("dify-scheduler.saved", job.id);
                if (isNew) App.go("/jobs/" + job.id); else App.render();
              } catch (error) {
                button.disabled = false;
                if (error.status === 412) {
                  App.notice(t("editor.conflict"), true);
                  const reload = el("button", { class: "action", type: "button", id: "editor-reload", text: t("editor.reload"),
                    onclick: function () { App.render(); } });
                  diffBox.append(el("p", { class: "error-text", text: error.message }), reload);
                } else {
                  App.notice(error.message, true);
                }
              }
            }

            // MARK: operations
            async function togglePause() {
              const action = paused ? "resume" : "pause";
              const note = await confirmDialog(t(paused ? "jobs.resume" : "jobs.pause") + ": " + id,
                t(paused ? "editor.confirmResume" : "editor.confirmPause"), t(paused ? "jobs.resume" : "jobs.pause"), { note: true });
              if (note === null) return;
              try {
                await App.post("/v1/jobs/" + encodeURIComponent(id) + "/" + action, note ? { note: note } : {});
                App.notice(id + ": " + t(paused ? "editor.resumeRequested" : "editor.pauseRequested"));
              } catch (error) { App.notice(error.message, true); return; }
              // The job's owner applies the request moments later; watch for it without
              // re-rendering, so text being edited stays. This page's textarea is gone once the
              // user leaves it.
              const expected = !paused;
              for (let attempt = 0; attempt < 30 && area.isConnected; attempt++) {
                await new Promise(function (resolve) { setTimeout(resolve, 500); });
                let data = null;
                try { data = await App.get("/v1/jobs/" + encodeURIComponent(id)); } catch (error) { continue; }
                if (!!(data.state && data.state.paused) === expected) {
                  paused = expected;
                  showState();
                  return;
                }
              }
            }
            function showState() {
              const badge = document.getElementById("editor-state");
              const button = document.getElementById("editor-pause");
              if (badge) badge.textContent = paused ? t("jobs.paused") : t("jobs.active");
              if (button) button.textContent = paused ? t("jobs.resume") : t("jobs.pause");
            }
            async function removeJob() {
              const confirmed = await confirmDialog(t("editor.delete") + ": " + id, t("editor.confirmDelete"), t("editor.delete"),
                { typed: id, danger: true });
              if (confirmed === null) return;
              try {
                await App.request("DELETE", "/v1/jobs/" + encodeURIComponent(id), undefined, { headers: etag ? { "If-Match": etag } : {} });
                App.go("/jobs");
              } catch (error) { App.notice(error.message, true); }
            }
            async function loadRuns() {
              let page;
              try { page = await App.get("/v1/runs", { job: id, limit: 5, range: "7d" }); } catch (error) { return; }
              App.clear(runsBody);
              (page.items || []).forEach(function (run) {
                runsBody.append(el("tr", { class: "clickable", "data-trigger": run.trigger_id,
                  onclick: function () { App.go("/runs/" + encodeURIComponent(run.trigger_id)); } },
                  el("td", {}, App.status(run.status)), el("td", {}, App.time(run.scheduled_at || run.sort_at)),
                  el("td", { text: run.source || "" }), el("td", {}, el("code", { text: run.trigger_id }))));
              });
              if (!(page.items || []).length) runsBody.append(el("tr", {}, el("td", { colspan: "4", class: "muted", text: t("editor.noRuns") })));
            }

            // First content: the stored job, or a starting point naming an app in use.
            if (stored) {
              area.value = App.jobYAML(stored);
            } else {
              let app = "";
              try {
                const listed = await App.get("/v1/jobs");
                const jobs = listed.jobs || [];
                app = jobs.length ? jobs[0].app : "";
              } catch (error) { app = ""; }
              area.value = newJobText(app);
            }
            drawGutter({});
            await runPreview();
          }
        })();
        """#

    static let styles = #"""
        .editor-grid { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 20px; align-items: start; }
        @media (max-width: 1000px) { .editor-grid { grid-template-columns: 1fr; } }
        .editor-box { display: flex; border: 1px solid #cbd5e1; border-radius: 6px; background: #fff; overflow: hidden; }
        .editor-box textarea, .editor-gutter { font: 13px/20px ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
        .editor-box textarea { flex: 1; border: 0; border-radius: 0; min-height: 380px; resize: vertical; padding: 6px 8px; white-space: pre;
          overflow: auto; tab-size: 2; outline: none; }
        .editor-box textarea[readonly] { background: #f8fafc; color: #334155; }
        .editor-gutter { min-width: 44px; padding: 6px 6px 6px 0; text-align: right; color: #94a3b8; background: #f1f5f9; overflow: hidden;
          user-select: none; border-right: 1px solid var(--line); }
        .editor-gutter .line.problem { color: #fff; background: var(--bad); border-radius: 0 4px 4px 0; cursor: help; }
        .editor-status { margin: 8px 0; font-weight: 600; }
        .editor-status.ok { color: var(--ok); } .editor-status.bad { color: var(--bad); }
        .editor-problems { list-style: none; padding: 0; margin: 0 0 10px; }
        .editor-problems li { padding: 6px 10px; margin-bottom: 4px; background: #fef2f2; border-left: 3px solid var(--bad); border-radius: 4px; }
        .editor-problems .fix { color: #7f1d1d; font-size: 12px; margin-top: 2px; }
        .editor-problems .line-link { font: inherit; font-size: 12px; border: 1px solid #fca5a5; background: #fff; border-radius: 4px; cursor: pointer; }
        .editor-warnings li { color: var(--warn); }
        .editor-facts .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; background: #e0e7ff; font-size: 12px; }
        a.action { display: inline-block; text-decoration: none; padding: 5px 12px; border-radius: 6px; border: 1px solid #cbd5e1;
          background: #fff; color: var(--fg); }
        a.action.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
        button.action.danger { border-color: var(--bad); color: var(--bad); }
        button.action.primary.danger { background: var(--bad); color: #fff; }
        table.diff { font: 13px/1.5 ui-monospace, monospace; }
        table.diff td { padding: 0 8px; border-bottom: 0; white-space: pre-wrap; }
        table.diff td.sign { width: 1.5em; color: var(--muted); }
        table.diff tr.diff-add td { background: #dcfce7; } table.diff tr.diff-del td { background: #fee2e2; }
        table.diff tr.diff-del code { text-decoration: line-through; text-decoration-color: #fca5a5; }
        dialog.confirm label.field { display: flex; flex-direction: column; gap: 4px; margin: 8px 0; }
        """#
}
