// swift-tools-version:6.1
// Versions are pinned exactly: packages come from a local mirror that holds only these tags.
import PackageDescription

let package = Package(
    name: "pec",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "pec", targets: ["pec"]),
        .executable(name: "pec-mcp", targets: ["pec-mcp"]),
        .library(name: "PECCore", targets: ["PECCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", exact: "0.12.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        // Reads attachments that are zip archives (entry names and first bytes) for the providers' pre-flight.
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", exact: "0.9.20"),
        // Webhook delivery of receipt events (`pec watch --webhook`): HTTPS over the same NIO and NIOSSL.
        .package(url: "https://github.com/swift-server/async-http-client.git", exact: "1.37.0"),
        // The ledger on PostgreSQL (`PEC_LEDGER_URL`), for teams whose workers share one state.
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
    ],
    targets: [
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // libsecret through dlopen on first use (CLibSecret/secret.c says why): nothing links against it.
        .target(name: "CLibSecret", linkerSettings: [.linkedLibrary("dl")]),
        // XML-DSig/XAdES of REM evidence: libxmlsec1 over the same libcrypto, loaded with dlopen on first
        // use (xmlsec_lazy.h says why), so only its headers are needed here: the standard install paths
        // (Debian's libxmlsec1-dev, libxml2-dev). The -D flags are xmlsec1-openssl.pc's (XMLSEC_NO_SIZE_T
        // changes the structures' layout).
        .target(
            name: "CXMLSec",
            cSettings: [
                .define("XMLSEC_NO_SIZE_T"),
                .define("XMLSEC_CRYPTO_OPENSSL", to: "1"),
                .define("XMLSEC_NO_CRYPTO_DYNAMIC_LOADING", to: "1"),
                .define("XMLSEC_OPENSSL3_ENGINES", to: "1"),
                .define("XMLSEC_NO_GOST", to: "1"),
                .define("XMLSEC_NO_GOST2012", to: "1"),
                .define("__XMLSEC_FUNCTION__", to: "__func__"),
                .unsafeFlags(["-I/usr/include/xmlsec1", "-I/usr/include/libxml2"]),
            ],
            linkerSettings: [.linkedLibrary("crypto"), .linkedLibrary("dl")]
        ),
        // Pure wire formats (IMAP, SMTP, MIME, daticert, addresses): Foundation only, so the compiler keeps
        // NIO, OpenSSL, GRDB, logging and PECError out of them; scripts/fuzz.sh compiles this folder alone.
        .target(name: "PECWire"),
        .target(
            name: "PECCore",
            dependencies: [
                "PECWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                "COpenSSL",
                "CLibSecret",
                "CXMLSec",
            ]
        ),
        .executableTarget(
            name: "pec",
            dependencies: [
                "PECCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "pec-mcp",
            dependencies: [
                "PECCore",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // What the test targets share: the scripted mail server (ScriptedStream), the sandbox
        // harness, fake servers, the seeded generator and temporary HOMEs.
        .target(
            name: "PECTestSupport",
            dependencies: [
                "PECCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/PECTestSupport"
        ),
        .testTarget(
            name: "PECCoreTests",
            dependencies: [
                "PECCore",
                "PECTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            // Signed PEC messages and a CA for the signature tests.
            resources: [.copy("PEC/Fixtures")]
        ),
        .testTarget(
            name: "PECWireTests",
            // PECTestSupport for the one seeded generator (SplitMix64) the fuzz-style tests share.
            dependencies: ["PECWire", "PECTestSupport"],
            // Raw Dovecot transcripts (CRLF preserved) the IMAP parser is tested on; synthetic daticert files.
            resources: [.copy("IMAP/Transcripts"), .copy("Daticert/Fixtures")]
        ),
        .testTarget(
            name: "CLITests",
            dependencies: [
                "pec",
                "PECCore",
                "PECTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // pec-mcp's tools in process, over the SDK's in-memory transport (the stdio path is tested
        // with the official Python client in Tests/MCPClientTests).
        .testTarget(
            name: "MCPServerTests",
            dependencies: ["pec-mcp", "PECCore", "PECTestSupport", .product(name: "MCP", package: "swift-sdk")]
        ),
        .testTarget(
            name: "SandboxTests",
            dependencies: [
                "PECCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
    ]
)
