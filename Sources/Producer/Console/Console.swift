import Foundation
import Shared

/// The web console: plain HTML, CSS and JavaScript served under `/console/`, reading the
/// records API and the control API of the same process.
///
/// The files are compiled into the binary, so nothing has to be installed next to it, except
/// Chart.js, which comes from Debian's `libjs-chart.js` at its installed path. When that file
/// is missing, the console returns a page that says how to install it.
enum Console {
    /// Paths where Debian's `libjs-chart.js` installs Chart.js, tried in order.
    static let chartPaths = [
        "/usr/share/javascript/chart.js/chart.min.js",
        "/usr/share/javascript/chart.js/chart.umd.js",
        "/usr/share/javascript/chart.js/Chart.min.js",
    ]

    static func register(into router: inout Router, chartPaths: [String] = Console.chartPaths) {
        router.get("/") { _, _ in redirect("/console/") }
        // The router ignores a trailing slash, so this route serves `/console` and `/console/`.
        router.get("/console") { _, _ in
            guard chartPaths.contains(where: { FileManager.default.isReadableFile(atPath: $0) }) else {
                return page(503, ConsoleAssets.chartMissingPage(paths: chartPaths))
            }
            return page(200, ConsoleAssets.indexPage)
        }
        router.get("/console/app.css") { _, _ in asset("text/css; charset=utf-8", ConsoleAssets.styles) }
        router.get("/console/editor.css") { _, _ in asset("text/css; charset=utf-8", ConsoleEditor.styles) }
        router.get("/console/editor.js") { _, _ in asset("text/javascript; charset=utf-8", ConsoleEditor.script) }
        router.get("/console/i18n.js") { _, _ in asset("text/javascript; charset=utf-8", ConsoleTranslations.script) }
        router.get("/console/app.js") { _, _ in asset("text/javascript; charset=utf-8", ConsoleScript.text) }
        router.get("/console/views.js") { _, _ in asset("text/javascript; charset=utf-8", ConsoleViews.text) }
        router.get("/console/chains.js") { _, _ in asset("text/javascript; charset=utf-8", ConsoleChains.script) }
        router.get("/console/signin.js") { _, _ in asset("text/javascript; charset=utf-8", ConsoleSignIn.script) }
        router.get("/console/signin.css") { _, _ in asset("text/css; charset=utf-8", ConsoleSignIn.styles) }
        router.get("/console/run-control.js") { _, _ in asset("text/javascript; charset=utf-8", ConsoleRunControl.text) }
        router.get("/console/vendor/chart.js") { _, _ in
            for path in chartPaths {
                if let data = FileManager.default.contents(atPath: path) {
                    return HTTPResponse(
                        status: 200, headers: [("Content-Type", "text/javascript; charset=utf-8"), ("Cache-Control", "max-age=86400")],
                        bytes: Array(data))
                }
            }
            return HTTPResponse.text(503, "Chart.js is missing: install Debian's libjs-chart.js (apt-get install libjs-chart.js)")
        }
    }

    private static func redirect(_ location: String) -> HTTPResponse {
        HTTPResponse(status: 302, headers: [("Location", location)], bytes: [])
    }

    private static func page(_ status: Int, _ html: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: securityHeaders(contentType: "text/html; charset=utf-8"), bytes: Array(html.utf8))
    }

    private static func asset(_ contentType: String, _ text: String) -> HTTPResponse {
        HTTPResponse(status: 200, headers: securityHeaders(contentType: contentType), bytes: Array(text.utf8))
    }

    /// Headers that keep text from Dify inert even if a bug inserted it as markup: scripts only
    /// from this origin, no inline scripts, no framing.
    private static func securityHeaders(contentType: String) -> [(name: String, value: String)] {
        [
            ("Content-Type", contentType),
            ("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("Cache-Control", "no-cache"),
        ]
    }
}
