/// The console's HTML page and style sheet.
enum ConsoleAssets {
    static let indexPage = #"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>dify-scheduler</title>
        <link rel="stylesheet" href="/console/editor.css">
        <link rel="stylesheet" href="/console/app.css">
        <link rel="stylesheet" href="/console/signin.css">
        <script src="/console/vendor/chart.js" defer></script>
        <script src="/console/i18n.js" defer></script>
        <script src="/console/app.js" defer></script>
        <script src="/console/views.js" defer></script>
        <script src="/console/chains.js" defer></script>
        <script src="/console/signin.js" defer></script>
        <script src="/console/run-control.js" defer></script>
        </head>
        <body>
        <header>
          <span class="brand">dify-scheduler</span>
          <nav>
            <a href="#/dashboard" data-view="dashboard" data-i18n="nav.dashboard">Dashboard</a>
            <a href="#/jobs" data-view="jobs" data-i18n="nav.jobs">Jobs</a>
            <a href="#/runs" data-view="runs" data-i18n="nav.runs">Runs</a>
            <a href="#/events" data-view="events" data-i18n="nav.events">Events</a>
          </nav>
          <span id="session"></span>
          <button id="language" type="button" title="Language / 语言">中文</button>
        </header>
        <div id="notice" class="notice" hidden></div>
        <main id="view"></main>
        <!-- The editor wraps the jobs view, so it runs after the scripts in the head. -->
        <script src="/console/editor.js" defer></script>
        </body>
        </html>
        """#

    static func chartMissingPage(paths: [String]) -> String {
        let list = paths.map { "<li><code>\($0)</code></li>" }.joined()
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>dify-scheduler console: Chart.js missing</title></head>
            <body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
            <h1>The console needs Chart.js</h1>
            <p>dify-producer serves Chart.js from Debian's <code>libjs-chart.js</code> package, and found it at none of:</p>
            <ul>\(list)</ul>
            <p>Install it on this host, then reload this page:</p>
            <pre>apt-get install libjs-chart.js</pre>
            <p>The records API under <code>/v1/</code> works without it.</p>
            <hr><p lang="zh-CN">控制台需要 Chart.js：请在本机执行 <code>apt-get install libjs-chart.js</code> 后刷新页面。</p>
            </body></html>
            """
    }

    static let styles = #"""
        :root { --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --bg: #f7f8fa; --accent: #2563eb;
          --ok: #16a34a; --bad: #dc2626; --warn: #d97706; --idle: #6b7280; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", "PingFang SC", "Microsoft YaHei", sans-serif;
          color: var(--fg); background: var(--bg); }
        header { display: flex; align-items: center; gap: 24px; padding: 10px 20px; background: #111827; color: #fff; }
        header .brand { font-weight: 600; }
        header nav { display: flex; gap: 4px; flex: 1; }
        header nav a { color: #cbd5e1; text-decoration: none; padding: 6px 12px; border-radius: 6px; }
        header nav a.active, header nav a:hover { background: #1f2937; color: #fff; }
        header button { background: #1f2937; color: #fff; border: 1px solid #374151; border-radius: 6px; padding: 5px 10px; cursor: pointer; }
        main { padding: 20px; max-width: 1400px; margin: 0 auto; }
        h1 { font-size: 20px; margin: 0 0 14px; }
        h2 { font-size: 16px; margin: 22px 0 10px; }
        .notice { margin: 12px 20px 0; padding: 10px 14px; border-radius: 6px; background: #fef3c7; border: 1px solid #fcd34d; }
        .notice.error { background: #fee2e2; border-color: #fca5a5; }
        .filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin-bottom: 14px; }
        .filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 2px; }
        input, select, textarea { font: inherit; padding: 5px 8px; border: 1px solid #cbd5e1; border-radius: 6px; background: #fff; }
        button.action { font: inherit; padding: 5px 12px; border-radius: 6px; border: 1px solid #cbd5e1; background: #fff; cursor: pointer; }
        button.action.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
        button.action:disabled { opacity: .5; cursor: default; }
        table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
        th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: 12px; color: var(--muted); font-weight: 600; background: #f9fafb; }
        tr.clickable { cursor: pointer; }
        tr.clickable:hover td { background: #f1f5f9; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        .status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; color: #fff; background: var(--idle); }
        .status.succeeded { background: var(--ok); } .status.partial_succeeded { background: #65a30d; }
        .status.failed, .status.rejected, .status.expired { background: var(--bad); }
        .status.timed_out { background: var(--warn); } .status.running { background: var(--accent); }
        .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
        .card .label { font-size: 12px; color: var(--muted); }
        .card .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
        .chart-box { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; height: 320px; }
        pre.json { background: #0f172a; color: #e2e8f0; padding: 10px; border-radius: 6px; overflow: auto; max-height: 360px;
          white-space: pre-wrap; word-break: break-word; margin: 4px 0; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; background: #fff; border: 1px solid var(--line);
          border-radius: 8px; padding: 12px; margin: 0; }
        dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; word-break: break-all; }
        .tree { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 6px 0; }
        .node { padding: 4px 10px; border-bottom: 1px solid #f1f5f9; }
        .node .head { display: flex; gap: 10px; align-items: center; cursor: pointer; }
        .node .type { font-size: 12px; color: var(--muted); }
        .node .meta { margin-left: auto; font-size: 12px; color: var(--muted); }
        .node .body { padding: 6px 0 6px 22px; }
        .children { margin-left: 22px; border-left: 2px solid var(--line); }
        .round { padding: 3px 10px; font-size: 12px; color: var(--muted); cursor: pointer; }
        .round:hover { color: var(--accent); }
        .toggle { width: 14px; display: inline-block; color: var(--muted); }
        .muted { color: var(--muted); }
        .error-text { color: var(--bad); white-space: pre-wrap; }
        .more { margin: 12px 0; }
        dialog { border: 1px solid var(--line); border-radius: 8px; padding: 16px; min-width: 420px; }
        dialog textarea { width: 100%; min-height: 140px; font-family: ui-monospace, monospace; }
        """#
}
