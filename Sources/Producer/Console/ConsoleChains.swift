/// The run page's chain links, served as `/console/chains.js`: the parent run that started a
/// chained run, and the child runs that a run's end started, each linking to its own page.
enum ConsoleChains {
    static let script = #"""
        "use strict";
        (function () {
          const App = window.App;
          const el = App.el, t = App.t;
          Object.assign(window.I18N.en, {
            "chain.title": "Chain", "chain.parent": "Started by", "chain.children": "Started",
            "chain.none": "No chained runs yet."
          });
          Object.assign(window.I18N["zh-CN"], {
            "chain.title": "链式运行", "chain.parent": "由此运行触发", "chain.children": "触发的运行",
            "chain.none": "暂无链式运行。"
          });

          function runLink(triggerID, jobID) {
            return el("a", { href: "#/runs/" + encodeURIComponent(triggerID), "data-trigger": triggerID,
              text: (jobID ? jobID + " · " : "") + triggerID });
          }

          // Appends the parent and children of `run` to the run page; nothing for an unchained run.
          App.views.runLinks = function (root, run) {
            const children = Array.isArray(run.children) ? run.children : [];
            if (!run.parent_trigger_id && !children.length) return;
            const facts = el("dl", { class: "facts", id: "run-chain" });
            if (run.parent_trigger_id) {
              facts.append(el("dt", { text: t("chain.parent") }), el("dd", { id: "run-parent" }, runLink(run.parent_trigger_id, run.parent_job_id)));
            }
            if (children.length) {
              const list = el("dd", { id: "run-children" });
              children.forEach(function (child, index) {
                if (index) list.append(el("br"));
                list.append(runLink(child.trigger_id, child.job_id), " ", App.status(child.status), " ", App.time(child.sort_at));
              });
              facts.append(el("dt", { text: t("chain.children") }), list);
            }
            root.append(el("h2", { text: t("chain.title") }), facts);
          };
        })();
        """#
}
