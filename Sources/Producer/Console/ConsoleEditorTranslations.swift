/// The job editor's texts in English and Simplified Chinese, added to `window.I18N`.
enum ConsoleEditorTranslations {
    static let script = #"""
        "use strict";
        Object.assign(window.I18N.en, {
          "editor.new": "New job", "editor.newTitle": "New job", "editor.title": "Job", "editor.edit": "Edit",
          "editor.view": "View", "editor.back": "Back to jobs", "editor.notFound": "No job with this id.",
          "editor.fromFile": "This job comes from a job file (managed_by: file), so it is read-only here. Change it in that file and run dify-producer apply. Pause and resume still work.",
          "editor.noPermission": "Your role may not edit jobs; the job is shown read-only",
          "editor.text": "Job (YAML, as in a job file)", "editor.checking": "Checking…", "editor.valid": "Valid: the job passes the checks of dify-producer validate.",
          "editor.problem": "problem", "editor.problems": "problems", "editor.line": "line", "editor.fix": "Fix",
          "editor.idExists": "a job with this id exists: choose another id, or open that job to edit it",
          "editor.review": "Review changes", "editor.diff": "Changes to save", "editor.unchanged": "No changes: the stored job is the same.",
          "editor.create": "Create job", "editor.save": "Save changes", "editor.keepEditing": "Keep editing",
          "editor.saved": "Saved", "editor.conflict": "Someone changed this job after you opened it; nothing was saved. Reload to see their version, then redo your edit.",
          "editor.reload": "Reload the job",
          "editor.nextFires": "Next fires", "editor.zone": "In the job's zone:", "editor.localTime": "Local time",
          "editor.weekday": "Weekday", "editor.noFires": "No upcoming fires.",
          "editor.noFiresInvalid": "Fix the problems to see the next fires.",
          "editor.pausedNoFires": "The job is paused: it fires again once resumed.",
          "editor.inputs": "Inputs of the next fire", "editor.inputsFor": "For the fire at",
          "editor.inputsRaw": "Shown as written: placeholders are filled in when the job fires.",
          "editor.delete": "Delete", "editor.allRuns": "All runs of this job",
          "editor.confirmDelete": "The job and its schedule state are deleted; its past runs stay in the records. Type the job id to confirm.",
          "editor.typeToConfirm": "Type", "editor.confirmPause": "The job stops firing until it is resumed.",
          "editor.confirmResume": "The job fires again; instants missed while paused follow its misfire policy.",
          "editor.note": "Note (optional, recorded with the change)", "editor.notePlaceholder": "such as: holiday freeze",
          "editor.pauseRequested": "pause requested", "editor.resumeRequested": "resume requested",
          "editor.recentRuns": "Recent runs", "editor.noRuns": "No runs in the last 7 days."
        });
        Object.assign(window.I18N["zh-CN"], {
          "editor.new": "新建任务", "editor.newTitle": "新建任务", "editor.title": "任务", "editor.edit": "编辑",
          "editor.view": "查看", "editor.back": "返回任务列表", "editor.notFound": "没有此 ID 的任务。",
          "editor.fromFile": "此任务来自任务文件（managed_by: file），在此只读。请修改该文件并执行 dify-producer apply。暂停和恢复仍可使用。",
          "editor.noPermission": "你的角色不能编辑任务，任务以只读方式显示",
          "editor.text": "任务（YAML，与任务文件格式相同）", "editor.checking": "检查中…", "editor.valid": "有效：任务通过了 dify-producer validate 的全部检查。",
          "editor.problem": "个问题", "editor.problems": "个问题", "editor.line": "行", "editor.fix": "修改建议",
          "editor.idExists": "已存在此 ID 的任务：请换一个 ID，或打开该任务进行编辑",
          "editor.review": "查看改动", "editor.diff": "将要保存的改动", "editor.unchanged": "没有改动：与已保存的任务相同。",
          "editor.create": "创建任务", "editor.save": "保存改动", "editor.keepEditing": "继续编辑",
          "editor.saved": "已保存", "editor.conflict": "你打开此任务后，有人修改了它；本次未保存。请重新加载查看对方的版本，再重做你的修改。",
          "editor.reload": "重新加载任务",
          "editor.nextFires": "下次触发", "editor.zone": "任务时区：", "editor.localTime": "本地时间",
          "editor.weekday": "星期", "editor.noFires": "没有即将到来的触发。",
          "editor.noFiresInvalid": "修正问题后即可看到接下来的触发。",
          "editor.pausedNoFires": "任务已暂停：恢复后才会再次触发。",
          "editor.inputs": "下次触发的输入", "editor.inputsFor": "对应触发时间",
          "editor.inputsRaw": "按原文显示：占位符在任务触发时才填入。",
          "editor.delete": "删除", "editor.allRuns": "此任务的全部运行记录",
          "editor.confirmDelete": "将删除任务及其调度状态；已有的运行记录保留。请输入任务 ID 以确认。",
          "editor.typeToConfirm": "请输入", "editor.confirmPause": "任务将停止触发，直到恢复为止。",
          "editor.confirmResume": "任务将重新触发；暂停期间错过的时间点按其 misfire 策略处理。",
          "editor.note": "备注（可选，随本次操作记录）", "editor.notePlaceholder": "例如：节假日冻结",
          "editor.pauseRequested": "已请求暂停", "editor.resumeRequested": "已请求恢复",
          "editor.recentRuns": "最近运行", "editor.noRuns": "最近 7 天没有运行记录。"
        });
        """#
}
