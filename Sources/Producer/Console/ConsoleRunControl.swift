/// The console's run control, served as `/console/run-control.js`: Stop for a running run,
/// Cancel for a queued trigger, Re-run with an inputs editor for a finished run, and the links
/// between a re-run and its original.
///
/// Buttons follow `GET /v1/runs/{trigger_id}/control`, which lists the actions the caller's
/// role may take on the run in its current state, so a viewer sees none. Requests go through
/// `App.post`, the console's one request helper. Stop and Cancel ask for a second click
/// instead of a browser dialog. A page of a queued or running trigger reloads itself every
/// two seconds until the run ends.
enum ConsoleRunControl {
    static let text = #"""
        "use strict";
        (function () {
          const App = window.App;
          const el = App.el;
          const TEXTS = {
            "en": {
              "control.state": "State", "control.queued": "queued", "control.running": "running", "control.ended": "ended",
              "control.stop": "Stop", "control.cancel": "Cancel run", "control.confirm": "Click again to confirm",
              "control.stopSent": "Stop requested; the worker stops the run and records who asked.",
              "control.cancelSent": "Cancel requested; the trigger ends as stopped without calling Dify.",
              "control.rerun": "Re-run", "control.rerunOf": "Re-run of", "control.reruns": "Re-runs",
              "control.rerunTitle": "Re-run", "control.rerunInputs": "Inputs (JSON object); changed values replace the original's",
              "control.rerunInputsAll": "Inputs (JSON object); the original's were not stored, so give every input",
              "control.query": "Query (chatflow)", "control.send": "Re-run", "control.close": "Close",
              "control.invalidInputs": "Inputs must be a JSON object.", "control.pending": "Not finished yet: this page reloads until it ends.",
              "control.stoppedBy": "Stopped by", "control.cancelJob": "Cancel every queued run of this job",
              "control.cancelJobSent": "Cancel requested for every queued run of the job; running runs go on."
            },
            "zh-CN": {
              "control.state": "状态", "control.queued": "排队中", "control.running": "运行中", "control.ended": "已结束",
              "control.stop": "停止", "control.cancel": "取消运行", "control.confirm": "再次点击以确认",
              "control.stopSent": "已请求停止；worker 会停止该运行并记录操作人。",
              "control.cancelSent": "已请求取消；该触发以 stopped 结束，不会调用 Dify。",
              "control.rerun": "重新运行", "control.rerunOf": "重新运行自", "control.reruns": "重新运行记录",
              "control.rerunTitle": "重新运行", "control.rerunInputs": "输入（JSON 对象）；修改的值替换原运行的值",
              "control.rerunInputsAll": "输入（JSON 对象）；原运行的输入未保存，请填写全部输入",
              "control.query": "问题（chatflow）", "control.send": "重新运行", "control.close": "关闭",
              "control.invalidInputs": "输入必须是 JSON 对象。", "control.pending": "尚未结束：本页会自动刷新直到运行结束。",
              "control.stoppedBy": "停止人", "control.cancelJob": "取消该作业所有排队中的运行",
              "control.cancelJobSent": "已请求取消该作业所有排队中的运行；正在运行的不受影响。"
            }
          };
          Object.keys(TEXTS).forEach(function (lang) {
            window.I18N[lang] = Object.assign(window.I18N[lang] || {}, TEXTS[lang]);
          });
          const t = App.t;

          function runPath(id) { return "/v1/runs/" + encodeURIComponent(id); }
          function runLink(id) { return el("a", { href: "#/runs/" + encodeURIComponent(id), class: "run-link", text: id }); }

          async function controlState(id) {
            try {
              return await App.get(runPath(id) + "/control");
            } catch (error) {
              if (error.status === 404) return null;
              throw error;
            }
          }

          // A button that sends only on its second click, so one slip does not stop a run.
          function confirmButton(id, label, onConfirm) {
            let armed = false;
            const button = el("button", { class: "action", type: "button", id: id, text: label });
            button.addEventListener("click", async function () {
              if (!armed) {
                armed = true;
                button.textContent = t("control.confirm");
                button.classList.add("primary");
                return;
              }
              button.disabled = true;
              try { await onConfirm(); } catch (error) { App.notice(error.message, true); button.disabled = false; }
            });
            return button;
          }

          function stopButton(id, state) {
            const isQueued = state === "queued";
            return confirmButton(isQueued ? "run-cancel" : "run-stop", t(isQueued ? "control.cancel" : "control.stop"), async function () {
              await App.post(runPath(id) + "/stop", {});
              App.notice(t(isQueued ? "control.cancelSent" : "control.stopSent"));
            });
          }

          // The records store learns of a new trigger a moment after it is written.
          async function waitUntilKnown(id) {
            for (let attempt = 0; attempt < 25; attempt++) {
              if (await controlState(id).catch(function () { return null; })) return;
              await new Promise(function (resolve) { setTimeout(resolve, 200); });
            }
          }

          function cancelJobButton(jobID) {
            return confirmButton("job-cancel-queued", t("control.cancelJob"), async function () {
              await App.post("/v1/jobs/" + encodeURIComponent(jobID) + "/cancel-queued", {});
              App.notice(t("control.cancelJobSent"));
            });
          }

          function sameValue(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

          function isCut(inputs) {
            return !!inputs && inputs.truncated === true && "preview" in inputs && "size" in inputs && Object.keys(inputs).length === 3;
          }

          function rerunDialog(run) {
            const stored = run.inputs && typeof run.inputs === "object" && !isCut(run.inputs) ? run.inputs : null;
            const area = el("textarea", { name: "inputs", id: "rerun-inputs" });
            area.value = JSON.stringify(stored || {}, null, 2);
            const query = run.kind === "chatflow" ? el("input", { name: "query", id: "rerun-query", size: 60 }) : null;
            const dialog = el("dialog", { id: "rerun-dialog" }, el("h2", { text: t("control.rerunTitle") + ": " + run.trigger_id }),
              el("label", {}, t(stored ? "control.rerunInputs" : "control.rerunInputsAll"), area),
              query ? el("label", {}, t("control.query"), query) : null,
              el("p", {}, el("button", { class: "action primary", type: "button", id: "rerun-send", text: t("control.send"), onclick: send }), " ",
                el("button", { class: "action", type: "button", text: t("control.close"), onclick: close })));
            function close() { dialog.close(); dialog.remove(); }
            async function send() {
              let inputs;
              try { inputs = JSON.parse(area.value || "{}"); } catch (error) { inputs = null; }
              if (!inputs || typeof inputs !== "object" || Array.isArray(inputs)) { App.notice(t("control.invalidInputs"), true); return; }
              // Only changed values go as overrides, so the audit event names what was edited.
              const overrides = {};
              Object.keys(inputs).forEach(function (name) {
                if (!stored || !sameValue(stored[name], inputs[name])) overrides[name] = inputs[name];
              });
              const body = {};
              if (Object.keys(overrides).length) body.inputs = overrides;
              if (query && query.value) body.query = query.value;
              try {
                const answer = await App.post(runPath(run.trigger_id) + "/rerun", body);
                close();
                await waitUntilKnown(answer.trigger_id);
                App.go("/runs/" + encodeURIComponent(answer.trigger_id));
              } catch (error) { App.notice(error.message, true); }
            }
            document.body.append(dialog);
            dialog.showModal();
          }

          function links(run) {
            const parts = [];
            if (run.rerun_of) parts.push(el("p", { id: "run-rerun-of" }, t("control.rerunOf") + " ", runLink(run.rerun_of)));
            const reruns = Array.isArray(run.reruns) ? run.reruns : [];
            if (reruns.length) {
              const list = el("span", { id: "run-reruns" });
              reruns.forEach(function (id, index) { if (index) list.append(", "); list.append(runLink(id)); });
              parts.push(el("p", {}, t("control.reruns") + ": ", list));
            }
            if (run.stopped_by) parts.push(el("p", { id: "run-stopped-by" }, t("control.stoppedBy") + ": " + run.stopped_by));
            return parts;
          }

          App.runControl = {
            // The links and the Re-run button of a finished run.
            finished: async function (run) {
              const box = el("div", { class: "run-control", id: "run-control" }, links(run));
              const state = await controlState(run.trigger_id).catch(function () { return null; });
              if (state && state.actions && state.actions.rerun) {
                box.append(el("p", {}, el("button", { class: "action", type: "button", id: "run-rerun", text: t("control.rerun"),
                  onclick: function () { rerunDialog(run); } })));
              }
              return box;
            },

            // Renders a trigger that has no record yet; returns false when it is unknown.
            pending: async function (root, id) {
              const state = await controlState(id);
              if (!state) return false;
              const label = t("control." + state.state);
              root.append(el("h1", {}, t("run.title") + " ", App.status(state.state === "ended" ? state.status || "ended" : state.state)));
              root.append(el("dl", { class: "facts", id: "run-facts" },
                el("dt", { text: t("col.trigger") }), el("dd", { text: id }),
                el("dt", { text: t("col.job") }), el("dd", { text: state.job_id || "–" }),
                el("dt", { text: t("col.app") }), el("dd", { text: state.app || "–" }),
                el("dt", { text: t("control.state") }), el("dd", { id: "run-state", "data-state": state.state, text: label })));
              const box = el("div", { class: "run-control", id: "run-control" });
              if (state.rerun_of) box.append(el("p", { id: "run-rerun-of" }, t("control.rerunOf") + " ", runLink(state.rerun_of)));
              if (state.actions && (state.actions.stop || state.actions.cancel)) box.append(el("p", {}, stopButton(id, state.state)));
              if (state.actions && state.actions.cancel && state.job_id) box.append(el("p", {}, cancelJobButton(state.job_id)));
              box.append(el("p", { class: "muted", text: t("control.pending") }));
              root.append(box);
              // Reload until the run ends, but never under a half-confirmed click.
              const hash = location.hash;
              const tick = function () {
                if (location.hash !== hash) return;
                if (box.querySelector("button.primary:not(:disabled)")) { setTimeout(tick, 2000); return; }
                App.render();
              };
              setTimeout(tick, 2000);
              return true;
            }
          };
        })();
        """#
}
