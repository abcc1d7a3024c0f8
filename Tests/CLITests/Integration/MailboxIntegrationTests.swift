import Foundation
import Testing

@testable import PECTestSupport

/// `pec list`, `search` and `folders` on the sandbox's read-only `archivio` mailbox, checked
/// against the corpus manifest.
@Suite("mailbox reading against the sandbox", .enabled(if: SandboxHarness.isAnnounced, "run through `make test`"))
struct MailboxIntegrationTests {
    let sandbox: SandboxHarness
    let corpus: CorpusManifest

    init() throws {
        (sandbox, corpus) = try CorpusManifest.loggedIn(as: "archivio")
    }

    @Test("list: the 20 newest of INBOX, newest first, every field as the manifest says")
    func listDefault() throws {
        defer { sandbox.cleanUp() }
        let run = try sandbox.pec(["list", "--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let rows = try run.jsonLines()
        let expected = Array(corpus.messages(in: "INBOX").prefix(20))
        #expect(rows.count == expected.count)
        #expect(rows.compactMap { ($0["id"] as? NSNumber)?.uint32Value } == expected.map(\.uid))
        for (row, message) in zip(rows, expected) {
            #expect(row["subject"] as? String == message.subject, "uid \(message.uid)")
            #expect((row["from"] as? String)?.contains(message.from) == true, "uid \(message.uid)")
            #expect(row["pec_type"] as? String == message.pecType, "uid \(message.uid)")
            #expect(row["unread"] as? Bool == message.unread, "uid \(message.uid)")
            #expect(
                row["has_attachments"] as? Bool == message.hasAttachments,
                "uid \(message.uid) \(message.attachments)"
            )
            #expect((row["size"] as? NSNumber)?.intValue == message.size, "uid \(message.uid)")
            let shown = instant(row["date"] as? String)
            let wanted = instant(message.date ?? message.internaldate)
            #expect(
                shown != nil && shown == wanted,
                "uid \(message.uid): \(row["date"] ?? "nil") vs \(message.date ?? message.internaldate)"
            )
        }
    }

    @Test("list --limit 0 returns the whole folder; --unread only unread ones")
    func listAllAndUnread() throws {
        defer { sandbox.cleanUp() }
        let inbox = corpus.messages(in: "INBOX")
        let all = try sandbox.pec(["list", "--json", "--limit", "0"]).jsonLines()
        #expect(all.count == inbox.count)
        let unread = try sandbox.pec(["--json", "list", "--unread", "--limit", "0"]).jsonLines()
        #expect(
            unread.compactMap { ($0["id"] as? NSNumber)?.uint32Value } == inbox.filter(\.unread).map(\.uid)
        )
        #expect(unread.allSatisfy { $0["unread"] as? Bool == true })
    }

    @Test("list --from keeps messages that arrived since that day")
    func listSince() throws {
        defer { sandbox.cleanUp() }
        let inbox = corpus.messages(in: "INBOX")
        let dates = inbox.compactMap { instant($0.internaldate) }.sorted()
        let middle = try #require(dates.dropFirst(dates.count / 2).first)
        let day = String(ISO8601DateFormatter().string(from: middle).prefix(10))
        let dayStart = try #require(instant(day + "T00:00:00Z"))
        let run = try sandbox.pec(["list", "--json", "--limit", "0", "--from", day])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let ids = Set(try run.jsonLines().compactMap { ($0["id"] as? NSNumber)?.uint32Value })
        // The server compares days in its own time zone: allow a day either side.
        let surely = Set(inbox.filter { instant($0.internaldate)! >= dayStart.addingTimeInterval(86_400) }.map(\.uid))
        let maybe = Set(inbox.filter { instant($0.internaldate)! >= dayStart.addingTimeInterval(-86_400) }.map(\.uid))
        #expect(surely.isSubset(of: ids))
        #expect(ids.isSubset(of: maybe))
        #expect(!ids.isEmpty && ids.count < inbox.count)
    }

    @Test("the message with raw UTF-8 subject and attachment name (literals in BODYSTRUCTURE) lists right")
    func rawUTF8() throws {
        defer { sandbox.cleanUp() }
        let special = try corpus.message(special: "raw-utf8")
        let rows = try sandbox.pec(["list", "--json", "--limit", "0", "--folder", special.folder]).jsonLines()
        let row = try #require(rows.first { ($0["id"] as? NSNumber)?.uint32Value == special.uid })
        #expect(row["subject"] as? String == special.subject)
        #expect(row["has_attachments"] as? Bool == true)
        #expect(rows.count == corpus.messages(in: special.folder).count, "one row per message, no garbage rows")
    }

    @Test("text output: a table with a header line and one line per message")
    func textTable() throws {
        defer { sandbox.cleanUp() }
        let run = try sandbox.pec(["list", "--limit", "3"])
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.first?.hasPrefix("ID ") == true)
        #expect(lines.first?.contains("PEC TYPE") == true)
    }

    @Test("folders: every folder, special uses, names with spaces and accents; counts match")
    func folders() throws {
        defer { sandbox.cleanUp() }
        let run = try sandbox.pec(["folders", "--counts", "--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let rows = try run.jsonLines()
        var byName: [String: [String: Any]] = [:]
        for row in rows { if let name = row["name"] as? String { byName[name] = row } }
        #expect(byName["INBOX"]?["special_use"] as? String == "inbox")
        #expect(byName["Sent"]?["special_use"] as? String == "sent")
        #expect(byName["Trash"]?["special_use"] as? String == "trash")
        for (name, count) in corpus.folders {
            let row = try #require(byName[name], "folder \(name) missing from \(byName.keys.sorted())")
            #expect((row["messages"] as? NSNumber)?.intValue == count.count, "\(name)")
            #expect((row["unread"] as? NSNumber)?.intValue == count.unread, "\(name)")
        }
        // Kept for shell completion of --folder, which must not touch the network.
        let cache = sandbox.configHome.appendingPathComponent(".local/state/pec/folders/archivio@pec.sandbox")
        let cached = try String(contentsOf: cache, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(
            Set(cached) == Set(rows.filter { $0["selectable"] as? Bool != false }.compactMap { $0["name"] as? String })
        )
        let completion = try sandbox.pec([
            "---completion", "list", "--", "--folder", "3", "0", "pec", "list", "--folder", "",
        ])
        #expect(Set(completion.stdout.split(separator: "\n").map(String.init)) == Set(cached))
    }

    @Test("list --folder with spaces and accents, and the sent alias")
    func folderNames() throws {
        defer { sandbox.cleanUp() }
        for name in corpus.folders.keys where name != "INBOX" {
            let run = try sandbox.pec(["list", "--json", "--limit", "0", "--folder", name])
            #expect(run.status == 0, "\(name): \(run.stderr)")
            #expect(try run.jsonLines().count == corpus.messages(in: name).count, "\(name)")
        }
        let sent = try sandbox.pec(["list", "--json", "--folder", "sent"])
        #expect(sent.status == 0, "stderr: \(sent.stderr)")
    }

    @Test("an unknown folder: exit 1, not_found, pointing at `pec folders`")
    func unknownFolder() throws {
        defer { sandbox.cleanUp() }
        let run = try sandbox.pec(["list", "--json", "--folder", "Non esiste già"])
        #expect(run.status == 1)
        #expect(try run.errorObject()["kind"] as? String == "not_found")
        #expect(run.stderr.contains("pec folders"))
    }

    @Test("search: words with spaces and accented letters, server-side")
    func searchAccents() throws {
        defer { sandbox.cleanUp() }
        let special = try corpus.message(special: "raw-utf8")
        // A phrase from the subject with a space and accents in it.
        let words = special.subject.split(separator: " ")
        let phrase = try #require(
            words.firstIndex { $0.contains("è") || $0.contains("ò") }.map {
                words[max(0, $0 - 1)...$0].joined(separator: " ")
            }
        )
        let run = try sandbox.pec(["search", phrase, "--field", "subject", "--json", "--folder", special.folder])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let rows = try run.jsonLines()
        let expected = corpus.messages(in: special.folder).filter {
            $0.subject.lowercased().contains(phrase.lowercased())
        }
        #expect(rows.compactMap { ($0["id"] as? NSNumber)?.uint32Value } == expected.map(\.uid), "phrase \(phrase)")
        #expect(rows.contains { ($0["id"] as? NSNumber)?.uint32Value == special.uid })
    }

    @Test("search in every field finds subjects and senders; nothing found is an empty result, exit 0")
    func searchAll() throws {
        defer { sandbox.cleanUp() }
        let inbox = corpus.messages(in: "INBOX")
        let sender = try #require(inbox.first { $0.kind == "mail" }?.from)
        let run = try sandbox.pec(["search", sender, "--field", "from", "--json", "--limit", "0"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let expected = inbox.filter { $0.from.lowercased().contains(sender.lowercased()) }.map(\.uid)
        #expect(try run.jsonLines().compactMap { ($0["id"] as? NSNumber)?.uint32Value } == expected)

        let none = try sandbox.pec(["search", "zzz nessun risultato qqq", "--json"])
        #expect(none.status == 0)
        #expect(none.stdout.isEmpty)
    }
}

/// `mark-read`, `mark-unread` and `move` on the sandbox's `casella` mailbox (its own, so the
/// reading tests are not disturbed).
@Suite(
    "mailbox changes against the sandbox",
    .serialized,
    .enabled(if: SandboxHarness.isAnnounced, "run through `make test`")
)
struct MailboxChangeIntegrationTests {
    let sandbox: SandboxHarness
    let corpus: CorpusManifest

    init() throws {
        (sandbox, corpus) = try CorpusManifest.loggedIn(as: "casella")
    }

    private func row(_ id: UInt32, folder: String = "INBOX") throws -> [String: Any]? {
        let rows = try sandbox.pec(["list", "--json", "--limit", "0", "--folder", folder]).jsonLines()
        return rows.first { ($0["id"] as? NSNumber)?.uint32Value == id }
    }

    @Test("mark-read then mark-unread change the \\Seen flag; list shows it")
    func markReadUnread() throws {
        defer { sandbox.cleanUp() }
        let target = try #require(corpus.messages(in: "INBOX").first { $0.unread })
        let read = try sandbox.pec(["mark-read", "\(target.uid)", "--json"])
        #expect(read.status == 0, "stderr: \(read.stderr)")
        #expect(try read.jsonLines().first?["unread"] as? Bool == false)
        #expect(try row(target.uid)?["unread"] as? Bool == false)

        let unread = try sandbox.pec(["mark-unread", "\(target.uid)", "--json"])
        #expect(unread.status == 0)
        #expect(try row(target.uid)?["unread"] as? Bool == true)
    }

    @Test("a UID that does not exist: exit 1, not_found, for mark-read, mark-unread and move")
    func missingUID() throws {
        defer { sandbox.cleanUp() }
        for arguments in [["mark-read", "99999"], ["mark-unread", "99999"], ["move", "99999", "--to", "Trash"]] {
            let run = try sandbox.pec(arguments + ["--json"])
            #expect(run.status == 1, "\(arguments)")
            #expect(try run.errorObject()["kind"] as? String == "not_found", "\(arguments)")
        }
        let bad = try sandbox.pec(["mark-read", "abc"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("error:"))
    }

    @Test("move: the message leaves INBOX and arrives in the destination; a missing destination changes nothing")
    func move() throws {
        defer { sandbox.cleanUp() }
        let target = try #require(corpus.messages(in: "INBOX").last)
        let missing = try sandbox.pec(["move", "\(target.uid)", "--to", "Cartella inesistente", "--json"])
        #expect(missing.status == 1)
        #expect(try missing.errorObject()["kind"] as? String == "not_found")
        #expect(try row(target.uid) != nil, "the message must still be in INBOX")

        let run = try sandbox.pec(["move", "\(target.uid)", "--to", "trash", "--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(try run.jsonLines().first?["to"] as? String == "Trash")
        #expect(try row(target.uid) == nil)
        let trash = try sandbox.pec(["list", "--json", "--limit", "0", "--folder", "Trash"]).jsonLines()
        #expect(trash.contains { $0["subject"] as? String == target.subject })
    }
}
