import Foundation
import Shared
import Testing

@Suite("Router")
struct HTTPRouterTests {
    private struct Boom: Error {}

    private func makeRouter() -> Router {
        var router = Router(logger: Logger(label: "router-test"))
        router.get("/v1/jobs/{id}") { _, parameters in
            .json(200, .object(["id": .string(parameters["id"] ?? "")]))
        }
        router.post("/v1/jobs/{id}/runs") { _, parameters in
            .json(201, .object(["job": .string(parameters["id"] ?? "")]))
        }
        router.get("/v1/bad") { _, _ in
            throw HTTPError.badRequest("schedule.cron is invalid: use 5 or 6 fields", field: "schedule.cron")
        }
        router.get("/v1/boom") { _, _ in throw Boom() }
        return router
    }

    private func body(_ response: HTTPResponse) throws -> JSONValue {
        try JSONValue.parse(Data(try #require(response.bodyBytes)))
    }

    @Test("matches path parameters")
    func parameters() async throws {
        let response = await makeRouter().handle(HTTPRequest(method: "GET", path: "/v1/jobs/daily-report"))
        #expect(response.status == 200)
        #expect(try body(response)["id"] == .string("daily-report"))

        let post = await makeRouter().handle(HTTPRequest(method: "POST", path: "/v1/jobs/a/runs/"))
        #expect(post.status == 201)
    }

    @Test("unknown path gets 404")
    func notFound() async throws {
        let response = await makeRouter().handle(HTTPRequest(method: "GET", path: "/v1/nothing"))
        #expect(response.status == 404)
        #expect(try body(response)["error"]?["code"] == .string("not_found"))
    }

    @Test("wrong method gets 405 with Allow")
    func methodNotAllowed() async throws {
        let response = await makeRouter().handle(HTTPRequest(method: "DELETE", path: "/v1/jobs/x"))
        #expect(response.status == 405)
        #expect(response.header("Allow") == "GET")
    }

    @Test("HEAD falls back to GET")
    func headFallsBack() async {
        let response = await makeRouter().handle(HTTPRequest(method: "HEAD", path: "/v1/jobs/x"))
        #expect(response.status == 200)
    }

    @Test("HTTPError renders its body")
    func errorBody() async throws {
        let response = await makeRouter().handle(HTTPRequest(method: "GET", path: "/v1/bad"))
        #expect(response.status == 400)
        let error = try #require(try body(response)["error"])
        #expect(error["code"] == .string("invalid_request"))
        #expect(error["field"] == .string("schedule.cron"))
        #expect(error["message"]?.stringValue?.contains("cron") == true)
    }

    @Test("other errors become a bare 500")
    func internalErrorHidden() async throws {
        let response = await makeRouter().handle(HTTPRequest(method: "GET", path: "/v1/boom"))
        #expect(response.status == 500)
        let text = String(decoding: try #require(response.bodyBytes), as: UTF8.self)
        #expect(!text.contains("Boom"))
        #expect(try body(response)["error"]?["code"] == .string("internal_error"))
    }
}
