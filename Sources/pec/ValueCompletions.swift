import ArgumentParser
import Foundation
import PECCore

/// Shell completion of `--account` and `--folder` values, from what is saved on this machine: the
/// accounts of `pec auth login`, and the folders the account's server listed last (`pec folders`).
/// Never the network: a TAB must answer at once.
enum ValueCompletions {
    static let accounts = CompletionKind.custom { _, _, prefix in
        let store = AccountStore(environment: ProcessInfo.processInfo.environment)
        let names = ((try? store.accounts()) ?? []).flatMap { [$0.name, $0.address] }
        return matching(names, prefix)
    }

    static let folders = CompletionKind.custom { words, _, prefix in
        let environment = ProcessInfo.processInfo.environment
        let store = AccountStore(environment: environment)
        guard let account = try? store.account(named: accountWord(in: words) ?? environment["PEC_ACCOUNT"]) else {
            return matching(["INBOX"], prefix)
        }
        return matching(["INBOX"] + FolderNameCache(environment: environment).names(for: account.address), prefix)
    }

    /// The value of `--account X` or `--account=X` on the command line being completed.
    static func accountWord(in words: [String]) -> String? {
        for (index, word) in words.enumerated() {
            if word == "--account", index + 1 < words.count { return unquoted(words[index + 1]) }
            if word.hasPrefix("--account=") { return unquoted(String(word.dropFirst("--account=".count))) }
        }
        return nil
    }

    /// Shells pass words as typed: drop one level of quotes.
    private static func unquoted(_ word: String) -> String {
        for quote in ["'", "\""] where word.count >= 2 && word.hasPrefix(quote) && word.hasSuffix(quote) {
            return String(word.dropFirst().dropLast())
        }
        return word
    }

    private static func matching(_ candidates: [String], _ prefix: String) -> [String] {
        var seen = Set<String>()
        return candidates.filter { $0.hasPrefix(prefix) && seen.insert($0).inserted }
    }
}
