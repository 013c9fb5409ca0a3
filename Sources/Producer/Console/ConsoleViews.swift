/// The console's pages: dashboard, jobs, runs, one run with its node tree, and events.
enum ConsoleViews {
    static let text = #"""
        "use strict";
        (function () {
          const App = window.App;
          const el = App.el, t = App.t;
          const RANGES = ["1h", "6h", "24h", "7d", "30d"];
          const STATUSES = ["succeeded", "partial_succeeded", "failed", "stopped", "timed_out", "expired", "rejected", "skipped", "paused"];
          const SOURCES = ["schedule", "manual", "api", "external", "retry", "backfill", "chain"];
          const EVENT_TYPES = ["emitted", "misfired", "skipped_overlap", "throttled", "expired", "rejected", "duplicate",
            "retry_scheduled", "run_started", "run_adopted", "run_finished", "zombie", "stop_requested", "alert_sent",
            "alert_failed", "job_created", "job_updated", "job_deleted", "job_rejected", "job_paused", "job_resumed",
            "job_triggered", "job_backfilled", "run_stop_requested", "rerun_triggered", "output_delivered", "output_failed"];

          // MARK: filter controls
          function select(name, label, options, value, anyLabel) {
            const control = el("select", { name: name });
            if (anyLabel !== false) control.append(el("option", { value: "", text: t("filter.any") }));
            options.forEach(function (option) {
              const entry = typeof option === "string" ? { value: option, text: option } : option;
              control.append(el("option", { value: entry.value, text: entry.text, selected: entry.value === value ? "selected" : false }));
            });
            return el("label", {}, t(label), control);
          }
          function input(name, label, value) {
            return el("label", {}, t(label), el("input", { name: name, value: value || "", size: 18 }));
          }
          function rangeSelect(value) {
            return select("range", "filter.range", RANGES.map(function (range) { return { value: range, text: t("range." + range) }; }), value, false);
          }
          function filterForm(path, controls) {
            const form = el("form", { class: "filters" }, controls, el("button", { class: "action primary", type: "submit", text: t("filter.apply") }));
            form.addEventListener("submit", function (event) {
              event.preventDefault();
              const params = {};
              new FormData(form).forEach(function (value, name) { if (value) params[name] = value; });
              App.go(path, params);
            });
            form.querySelectorAll("select").forEach(function (control) {
              control.addEventListener("change", function () { form.requestSubmit(); });
            });
            return form;
          }
          async function appOptions() {
            try {
              const facets = await App.get("/v1/stats/facets", { range: "30d" });
              return facets.apps;
            } catch (error) { return []; }
          }

          // MARK: dashboard
          App.views.dashboard = async function (root, route) {
            const range = route.params.range || "24h";
            const app = route.params.app || "";
            root.append(el("h1", { text: t("dashboard.title") }));
            root.append(filterForm("/dashboard", [rangeSelect(range), select("app", "filter.app", await appOptions(), app)]));

            const offset = -new Date().getTimezoneOffset();
            const results = await Promise.all([
              App.get("/v1/stats/series", { range: range, app: app, utc_offset_minutes: offset }),
              App.get("/v1/stats/slowest-jobs", { range: range, app: app, limit: 10 })
            ]);
            const series = results[0], slowest = results[1].items;
            const totals = series.totals;
            const count = function (bucket, statuses) {
              return statuses.reduce(function (sum, status) { return sum + (bucket.by_status[status] || 0); }, 0);
            };
            const failedStatuses = ["failed", "rejected", "expired"];
            const succeeded = count(totals, ["succeeded", "partial_succeeded"]);
            const rate = totals.total ? (100 * succeeded / totals.total).toFixed(1) + " %" : "–";
            const cost = series.currencies.length ? totals.total_price.toFixed(4) + " " + series.currencies.join("+") : "–";
            const card = function (label, value, id) {
              return el("div", { class: "card", "data-card": id }, el("div", { class: "label", text: t(label) }), el("div", { class: "value", text: value }));
            };
            root.append(el("div", { class: "cards" },
              card("dashboard.scheduled", App.number(totals.emitted), "scheduled"),
              card("dashboard.total", App.number(totals.total), "total"),
              card("dashboard.succeeded", App.number(succeeded), "succeeded"),
              card("dashboard.failed", App.number(count(totals, failedStatuses)), "failed"),
              card("dashboard.timedOut", App.number(count(totals, ["timed_out"])), "timed_out"),
              card("dashboard.successRate", rate, "rate"),
              card("dashboard.p50", App.duration(totals.p50_ms), "p50"),
              card("dashboard.p95", App.duration(totals.p95_ms), "p95"),
              card("dashboard.tokens", App.number(totals.total_tokens), "tokens"),
              card("dashboard.cost", cost, "cost")));

            const box = el("div", { class: "chart-box" });
            root.append(el("h2", { text: t("nav.runs") }), box);
            if (!window.Chart) {
              box.append(el("p", { class: "error-text", text: t("dashboard.chartMissing") }));
            } else {
              const canvas = el("canvas", { id: "runs-chart" });
              box.append(canvas);
              const short = series.bucket_seconds < 86400;
              const labels = series.buckets.map(function (bucket) {
                const date = new Date(bucket.start);
                return short ? date.toLocaleString(App.lang, { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" })
                  : date.toLocaleDateString(App.lang);
              });
              const line = function (label, color, values) {
                return { label: t(label), data: values, borderColor: color, backgroundColor: color, tension: 0.2, pointRadius: 0, borderWidth: 2 };
              };
              new window.Chart(canvas, {
                type: "line",
                data: { labels: labels, datasets: [
                  line("dashboard.scheduled", "#2563eb", series.buckets.map(function (b) { return b.emitted; })),
                  line("dashboard.succeeded", "#16a34a", series.buckets.map(function (b) { return count(b, ["succeeded", "partial_succeeded"]); })),
                  line("dashboard.failed", "#dc2626", series.buckets.map(function (b) { return count(b, failedStatuses); })),
                  line("dashboard.timedOut", "#d97706", series.buckets.map(function (b) { return count(b, ["timed_out"]); }))
                ] },
                options: { animation: false, maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
                  scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
              });
            }

            root.append(el("h2", { text: t("dashboard.slowest") }));
            root.append(el("table", { id: "slowest" },
              el("thead", {}, el("tr", {}, el("th", { text: t("col.job") }), el("th", { text: t("col.app") }),
                el("th", { class: "num", text: t("col.runs") }), el("th", { class: "num", text: t("col.avg") }),
                el("th", { class: "num", text: t("col.max") }), el("th", { text: t("col.last") }))),
              el("tbody", {}, slowest.map(function (job) {
                return el("tr", { class: "clickable", onclick: function () { App.go("/runs", { job: job.job_id }); } },
                  el("td", { text: job.job_id }), el("td", { text: job.app }), el("td", { class: "num", text: App.number(job.runs) }),
                  el("td", { class: "num", text: App.duration(job.avg_ms) }), el("td", { class: "num", text: App.duration(job.max_ms) }),
                  el("td", {}, App.time(job.last_run_at)));
              }))));
          };

          // MARK: jobs
          function describeSchedule(job) {
            if (job.schedule_text) return job.schedule_text;
            if (job.description_of_schedule) return job.description_of_schedule;
            const schedule = job.schedule || {};
            const zone = schedule.timezone ? " (" + schedule.timezone + ")" : "";
            if (schedule.cron) return "cron " + schedule.cron + zone;
            if (schedule.every) return (App.lang === "en" ? "every " : "每 ") + schedule.every;
            if (schedule.delay) return (App.lang === "en" ? schedule.delay + " after the previous run ends" : "上次运行结束后 " + schedule.delay);
            if (schedule.at) return (App.lang === "en" ? "once at " : "一次，于 ") + schedule.at + zone;
            return App.lang === "en" ? "only when triggered" : "仅在被触发时运行";
          }
          function listOf(data, key) {
            if (Array.isArray(data)) return data;
            if (!data) return [];
            return data.items || data[key] || [];
          }
          App.views.jobs = async function (root) {
            root.append(el("h1", { text: t("jobs.title") }));
            const newJob = el("a", { class: "action primary", id: "new-job", href: "#/jobs/new", "data-permission": "edit_jobs", text: t("editor.new") });
            root.append(el("p", {}, newJob));
            const caller = App.caller ? await App.caller() : { can: function () { return true; } };
            newJob.hidden = !caller.can("edit_jobs");
            let jobs;
            try {
              jobs = listOf(await App.get("/v1/jobs"), "jobs");
            } catch (error) {
              root.append(el("p", { class: "notice", text: t("jobs.unavailable") + " (" + error.message + ")" }));
              return;
            }
            const body = el("tbody");
            root.append(el("table", { id: "jobs" },
              el("thead", {}, el("tr", {}, el("th", { text: t("col.job") }), el("th", { text: t("col.app") }),
                el("th", { text: t("jobs.schedule") }), el("th", { text: t("jobs.next") }), el("th", { text: t("jobs.last") }),
                el("th", { text: t("jobs.state") }), el("th", {}))), body));
            jobs.forEach(function (job) {
              const id = job.id;
              let paused = job.paused === true || (job.state && job.state.paused === true);
              const next = el("td", { class: "muted", text: "…" });
              const last = el("td", { class: "muted", text: "…" });
              const state = el("td", { text: paused ? t("jobs.paused") : t("jobs.active") });
              const pathID = encodeURIComponent(id);
              const toggle = el("button", { class: "action", type: "button", "data-permission": "pause_resume", text: paused ? t("jobs.resume") : t("jobs.pause"),
                onclick: async function () {
                  try {
                    await App.post("/v1/jobs/" + pathID + "/" + (paused ? "resume" : "pause"), {});
                    App.notice(id + ": " + (paused ? t("jobs.resume") : t("jobs.pause")) + " ✓");
                  } catch (error) { App.notice(error.message, true); }
                } });
              const showState = function () {
                state.textContent = paused ? t("jobs.paused") : t("jobs.active");
                toggle.textContent = paused ? t("jobs.resume") : t("jobs.pause");
              };
              body.append(el("tr", { "data-job": id },
                el("td", {}, el("a", { href: "#/jobs/" + pathID, text: id })), el("td", { text: job.app }), el("td", { text: describeSchedule(job) }), next, last, state,
                el("td", {},
                  el("button", { class: "action", type: "button", "data-permission": "trigger", text: t("jobs.trigger"), onclick: function () { triggerDialog(job); } }), " ",
                  toggle)));
              App.get("/v1/jobs/" + pathID + "/next", { count: 3 }).then(function (data) {
                if (data && typeof data.paused === "boolean") { paused = data.paused; showState(); }
                const fires = listOf(data, "next").map(function (fire) { return typeof fire === "string" ? fire : fire.fire_at || fire.scheduled_at; });
                App.clear(next).className = "";
                if (!fires.length) next.textContent = "–";
                fires.forEach(function (fire, index) { if (index) next.append(el("br")); next.append(App.time(fire)); });
              }).catch(function () { next.textContent = "–"; });
              App.get("/v1/runs", { job: id, limit: 1 }).then(function (page) {
                App.clear(last).className = "";
                const run = page.items[0];
                if (!run) { last.textContent = "–"; return; }
                last.append(App.status(run.status), " ", App.time(run.sort_at));
              }).catch(function () { last.textContent = "–"; });
            });
          };
          function triggerDialog(job) {
            const area = el("textarea", { name: "inputs" });
            area.value = JSON.stringify(job.inputs || {}, null, 2);
            const dialog = el("dialog", {}, el("h2", { text: t("jobs.trigger") + ": " + job.id }),
              el("label", {}, t("jobs.inputs"), area),
              el("p", {}, el("button", { class: "action primary", type: "button", text: t("jobs.send"), onclick: send }), " ",
                el("button", { class: "action", type: "button", text: t("jobs.cancel"), onclick: function () { dialog.close(); dialog.remove(); } })));
            async function send() {
              let inputs;
              try { inputs = JSON.parse(area.value || "{}"); } catch (error) { inputs = null; }
              if (!inputs || typeof inputs !== "object" || Array.isArray(inputs)) { App.notice(t("jobs.invalidInputs"), true); return; }
              try {
                const answer = await App.post("/v1/jobs/" + encodeURIComponent(job.id) + "/trigger", { inputs: inputs });
                dialog.close(); dialog.remove();
                App.notice(t("jobs.triggered") + " " + ((answer && (answer.trigger_id || answer.id)) || ""));
              } catch (error) { App.notice(error.message, true); }
            }
            document.body.append(dialog);
            dialog.showModal();
          }

          // MARK: runs
          App.views.runs = async function (root, route) {
            const params = route.params;
            root.append(el("h1", { text: t("runs.title") }));
            root.append(filterForm("/runs", [
              select("app", "filter.app", await appOptions(), params.app),
              input("q", "filter.jobSearch", params.q),
              select("status", "filter.status", STATUSES, params.status),
              select("source", "filter.source", SOURCES, params.source),
              rangeSelect(params.range || "7d"),
              input("trigger_id", "filter.triggerID", params.trigger_id),
              input("workflow_run_id", "filter.workflowRunID", params.workflow_run_id),
              params.job ? el("input", { type: "hidden", name: "job", value: params.job }) : null
            ]));
            const body = el("tbody");
            root.append(el("table", { id: "runs" },
              el("thead", {}, el("tr", {}, el("th", { text: t("col.status") }), el("th", { text: t("col.job") }),
                el("th", { text: t("col.app") }), el("th", { text: t("runs.scheduled") }),
                el("th", { class: "num", text: t("runs.queueDelay") }), el("th", { class: "num", text: t("runs.duration") }),
                el("th", { class: "num", text: t("runs.tokens") }), el("th", { class: "num", text: t("runs.attempts") }),
                el("th", { text: t("col.source") }), el("th", { text: t("col.trigger") }))), body));
            const more = el("button", { class: "action more", type: "button", text: t("runs.more"), hidden: "hidden" });
            root.append(more);
            const query = Object.assign({ limit: 50 }, params);
            if (!query.range && !query.from) query.range = "7d";
            async function load(cursor) {
              const page = await App.get("/v1/runs", Object.assign({}, query, { cursor: cursor }));
              if (!cursor && !page.items.length) {
                body.append(el("tr", {}, el("td", { colspan: 10, class: "muted", text: t("runs.empty") })));
              }
              page.items.forEach(function (run) {
                body.append(el("tr", { class: "clickable", "data-trigger": run.trigger_id,
                  onclick: function () { App.go("/runs/" + encodeURIComponent(run.trigger_id)); } },
                  el("td", {}, App.status(run.status)), el("td", { text: run.job_id || "–" }), el("td", { text: run.app }),
                  el("td", {}, App.time(run.scheduled_at || run.sort_at)),
                  el("td", { class: "num", text: App.duration(run.queue_delay_ms) }),
                  el("td", { class: "num", text: App.duration(run.run_time_ms) }),
                  el("td", { class: "num", text: App.number(run.total_tokens) }),
                  el("td", { class: "num", text: run.attempt_count }), el("td", { text: run.source || "–" }),
                  el("td", { class: "muted", text: run.trigger_id })));
              });
              more.hidden = !page.next_cursor;
              more.onclick = function () { load(page.next_cursor); };
            }
            await load(null);
          };

          // MARK: one run
          App.views.run = async function (root, route) {
            const id = route.parts[1];
            root.append(el("p", {}, el("a", { href: "#/runs", text: "← " + t("run.back") })));
            let run;
            try {
              run = await App.get("/v1/runs/" + encodeURIComponent(id));
            } catch (error) {
              if (error.status === 404 && App.runControl && await App.runControl.pending(root, id)) return;
              root.append(el("p", { class: "notice error", text: error.status === 404 ? t("run.notFound") : error.message }));
              return;
            }
            root.append(el("h1", {}, t("run.title") + " ", App.status(run.status)));
            if (App.runControl) root.append(await App.runControl.finished(run));
            const fact = function (label, value) { return [el("dt", { text: t(label) }), el("dd", {}, value === undefined || value === null ? "–" : value)]; };
            root.append(el("h2", { text: t("run.basic") }), el("dl", { class: "facts", id: "run-facts" },
              fact("col.trigger", run.trigger_id), fact("col.job", run.job_id), fact("col.app", run.app),
              fact("col.source", run.source), fact("filter.workflowRunID", run.workflow_run_id),
              fact("runs.scheduled", App.time(run.scheduled_at)), fact("run.emitted", App.time(run.emitted_at)),
              fact("run.started", App.time(run.started_at)), fact("run.finished", App.time(run.finished_at)),
              fact("runs.queueDelay", App.duration(run.queue_delay_ms)), fact("runs.duration", App.duration(run.run_time_ms)),
              fact("runs.tokens", App.number(run.total_tokens)),
              fact("run.price", run.total_price !== undefined ? run.total_price + " " + (run.currency || "") : null),
              fact("run.steps", run.total_steps), fact("run.worker", run.worker_id)));
            if (App.views.runLinks) App.views.runLinks(root, run);
            if (run.may_still_run) root.append(el("p", { class: "notice", text: t("run.mayStillRun") }));
            if (run.error_code || run.error_message) {
              root.append(el("h2", { text: t("run.error") }),
                el("p", { class: "error-text", id: "run-error", text: (run.error_code || "") + (run.error_node_id ? " @ " + run.error_node_id : "") + ": " + (run.error_message || "") }));
            }
            if (run.io_truncated) root.append(el("p", { class: "muted", text: t("run.truncated") }));
            if (run.inputs !== undefined) root.append(el("h2", { text: t("run.inputs") }), App.json(run.inputs));
            if (run.outputs !== undefined) { const box = App.json(run.outputs); box.id = "run-outputs"; root.append(el("h2", { text: t("run.outputs") }), box); }
            if (run.answer) root.append(el("h2", { text: t("run.answer") }), el("pre", { class: "json", text: run.answer }));
            const attempts = Array.isArray(run.attempts) ? run.attempts : [];
            if (attempts.length) {
              root.append(el("h2", { text: t("run.attempts") }), el("table", { id: "attempts" },
                el("thead", {}, el("tr", {}, el("th", { text: t("col.number") }), el("th", { text: t("run.started") }),
                  el("th", { text: t("run.finished") }), el("th", { text: t("run.worker") }), el("th", { text: t("col.error") }))),
                el("tbody", {}, attempts.map(function (attempt) {
                  return el("tr", {}, el("td", { text: attempt.number }), el("td", {}, App.time(attempt.started_at)),
                    el("td", {}, App.time(attempt.finished_at)), el("td", { text: attempt.worker_id || "–" }),
                    el("td", { class: "error-text", text: attempt.error ? attempt.error.code + ": " + attempt.error.message : "" }));
                }))));
            }
            root.append(el("h2", { text: t("run.nodes") + " (" + run.node_count + ")" }));
            const tree = el("div", { class: "tree", id: "node-tree" });
            root.append(tree);
            (run.nodes || []).forEach(function (node) { tree.append(nodeView(run.trigger_id, node)); });
          };

          function nodeView(triggerID, node) {
            const toggle = el("span", { class: "toggle", text: "▸" });
            const body = el("div", { class: "body", hidden: "hidden" });
            const meta = [App.duration(node.elapsed_ms)];
            if (node.total_tokens) meta.push(App.number(node.total_tokens) + " tokens");
            if (node.retries) meta.push("retries " + node.retries);
            const view = el("div", { class: "node", "data-node": node.node_id, "data-type": node.node_type },
              el("div", { class: "head", onclick: function () {
                body.hidden = !body.hidden;
                toggle.textContent = body.hidden ? "▸" : "▾";
              } }, toggle, el("span", { class: "title", text: node.title }), el("span", { class: "type", text: node.node_type }),
                App.status(node.status), el("span", { class: "meta", text: meta.join(" · ") })),
              body);
            if (node.error) body.append(el("p", { class: "error-text", text: node.error }));
            if (node.truncated) body.append(el("p", { class: "muted", text: t("run.truncated") }));
            if (node.inputs !== undefined) body.append(el("div", { class: "muted", text: t("run.inputs") }), App.json(node.inputs));
            if (node.outputs !== undefined) body.append(el("div", { class: "muted", text: t("run.outputs") }), App.json(node.outputs));
            if (node.rounds) {
              const rounds = el("div", { class: "children", hidden: "hidden" });
              const label = el("div", { class: "round rounds-toggle", text: "▸ " + node.rounds + " " + t("run.rounds") });
              label.addEventListener("click", function () {
                rounds.hidden = !rounds.hidden;
                label.textContent = (rounds.hidden ? "▸ " : "▾ ") + node.rounds + " " + t("run.rounds");
                if (!rounds.hidden && !rounds.firstChild) {
                  for (let index = 0; index < node.rounds; index++) rounds.append(roundView(triggerID, node.node_id, index));
                }
              });
              view.append(label, rounds);
            }
            return view;
          }

          function roundView(triggerID, parentID, index) {
            const children = el("div", { class: "children", hidden: "hidden" });
            const label = el("div", { class: "round", "data-round": index, text: "▸ " + t("run.round") + " " + (index + 1) });
            label.addEventListener("click", async function () {
              children.hidden = !children.hidden;
              label.textContent = (children.hidden ? "▸ " : "▾ ") + t("run.round") + " " + (index + 1);
              if (children.hidden || children.dataset.loaded) return;
              children.dataset.loaded = "1";
              try {
                const page = await App.get("/v1/runs/" + encodeURIComponent(triggerID) + "/nodes", { parent_node_id: parentID, parent_index: index });
                page.items.forEach(function (node) { children.append(nodeView(triggerID, node)); });
              } catch (error) { App.notice(error.message, true); }
            });
            return el("div", {}, label, children);
          }

          // MARK: events
          App.views.events = async function (root, route) {
            const params = route.params;
            root.append(el("h1", { text: t("events.title") }));
            root.append(filterForm("/events", [
              select("app", "filter.app", await appOptions(), params.app),
              input("job", "filter.job", params.job),
              input("trigger_id", "filter.triggerID", params.trigger_id),
              select("type", "filter.type", EVENT_TYPES, params.type),
              rangeSelect(params.range || "7d")
            ]));
            const body = el("tbody");
            root.append(el("table", { id: "events" },
              el("thead", {}, el("tr", {}, el("th", { text: t("events.time") }), el("th", { text: t("col.type") }),
                el("th", { text: t("col.job") }), el("th", { text: t("col.app") }), el("th", { text: t("col.trigger") }),
                el("th", { text: t("events.actor") }), el("th", { text: t("events.detail") }))), body));
            const more = el("button", { class: "action more", type: "button", text: t("runs.more"), hidden: "hidden" });
            root.append(more);
            const query = Object.assign({ limit: 100 }, params);
            if (!query.range && !query.from) query.range = "7d";
            async function load(cursor) {
              const page = await App.get("/v1/events", Object.assign({}, query, { cursor: cursor }));
              page.items.forEach(function (event) {
                const trigger = event.trigger_id
                  ? el("a", { href: "#/runs/" + encodeURIComponent(event.trigger_id), text: event.trigger_id }) : "–";
                body.append(el("tr", { "data-event": event.id },
                  el("td", {}, App.time(event.time)), el("td", { text: event.type }), el("td", { text: event.job_id || "–" }),
                  el("td", { text: event.app || "–" }), el("td", {}, trigger), el("td", { text: event.actor || "–" }),
                  el("td", { class: "muted", text: event.detail ? JSON.stringify(event.detail) : "" })));
              });
              more.hidden = !page.next_cursor;
              more.onclick = function () { load(page.next_cursor); };
            }
            await load(null);
          };
        })();
        """#
}
