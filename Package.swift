// swift-tools-version:6.0
import PackageDescription

// librdkafka is built into /usr/local when Debian's package is older than 2.2 (see
// scripts/setup.sh). The run path makes the binaries load that copy before any older one.
let localLibrarySettings: [LinkerSetting] = [
    .unsafeFlags(["-L/usr/local/lib", "-Xlinker", "-rpath", "-Xlinker", "/usr/local/lib"])
]

let package = Package(
    name: "dify-scheduler",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dify-producer", targets: ["Producer"]),
        .executable(name: "dify-worker", targets: ["Worker"]),
        .executable(name: "dify-double", targets: ["DifyDouble"]),
        .library(name: "Shared", targets: ["Shared"]),
    ],
    targets: [
        // C libraries from Debian, one system library target each.
        .systemLibrary(name: "CRdKafka", path: "Sources/CRdKafka"),
        .systemLibrary(name: "CMicroHTTPD", path: "Sources/CMicroHTTPD"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ"),
        .systemLibrary(name: "CYAML", path: "Sources/CYAML"),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl"),

        .target(
            name: "Shared",
            dependencies: ["CRdKafka", "CMicroHTTPD", "CSQLite", "CLibPQ", "CYAML", "CCrypto"],
            path: "Sources/Shared",
            linkerSettings: localLibrarySettings
        ),
        .executableTarget(
            name: "Producer",
            dependencies: ["Shared", "CCurl"],
            path: "Sources/Producer",
            linkerSettings: localLibrarySettings
        ),
        .executableTarget(
            name: "Worker",
            dependencies: ["Shared"],
            path: "Sources/Worker",
            linkerSettings: localLibrarySettings
        ),
        .executableTarget(
            name: "DifyDouble",
            dependencies: ["Shared"],
            path: "Sources/DifyDouble",
            linkerSettings: localLibrarySettings
        ),

        // Helpers the test targets share: socket HTTP client, free ports, waiting, Kafka
        // collection, a PostgreSQL server and an SMTP server. Only test targets depend on it.
        .target(
            name: "TestSupport",
            dependencies: ["Shared"],
            path: "Tests/TestSupport"
        ),

        .testTarget(
            name: "SharedTests",
            dependencies: ["Shared", "TestSupport"],
            path: "Tests/SharedTests",
            exclude: ["Support/dify_replay_server.py"],
            resources: [.copy("Fixtures")],
            linkerSettings: localLibrarySettings
        ),
        .testTarget(
            name: "WorkerTests",
            dependencies: ["Worker", "Shared", "TestSupport"],
            path: "Tests/WorkerTests",
            linkerSettings: localLibrarySettings
        ),
        .testTarget(
            name: "ProducerTests",
            dependencies: ["Producer", "Shared", "TestSupport"],
            path: "Tests/ProducerTests",
            linkerSettings: localLibrarySettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Shared", "TestSupport"],
            path: "Tests/IntegrationTests",
            linkerSettings: localLibrarySettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
