import Foundation

/// credentials.json as read from and written to disk.
///
/// The Python pec-cli reads and writes `{"address", "provider", "password_storage", "password_enc"?}`
/// (single account; no `password_storage` = fernet). We keep those keys at the top level, describing
/// the default account, so the Python pec-cli still works with our file, and add `"accounts"` (every
/// account, login order) and `"default"` (set by `pec auth default`; absent = the first account).
/// A file without `"accounts"` is a Python file: one account built from its provider preset.
/// Keys we do not know are kept, at the top level and inside each account.
struct CredentialsDocument {
    struct Entry {
        var account: Account
        /// The Fernet token, for `.file` accounts.
        var passwordEnc: String?
        /// Keys of this entry that we do not know, written back unchanged.
        var extra: [String: Any] = [:]
    }

    static let pythonKeys = ["address", "provider", "password_storage", "password_enc"]
    static let ownKeys = ["accounts", "default"]
    private static let entryKeys: Set<String> = [
        "name", "address", "provider", "imap", "smtp", "ca_file", "timeout_seconds", "password_storage",
        "password_enc", "password_command",
    ]

    /// Top-level keys we do not know, written back unchanged.
    var extra: [String: Any] = [:]
    var entries: [Entry] = []
    /// The name set with `pec auth default`, if any.
    var explicitDefault: String?
    /// Read from a file in the Python pec-cli's format (no "accounts").
    var isPythonFormat = false

    init() {}

    /// The entry the default account is: the explicit default when it still exists, else the oldest.
    var defaultIndex: Int? {
        if let name = explicitDefault, let index = index(named: name) { return index }
        return entries.isEmpty ? nil : 0
    }

    func index(named name: String) -> Int? {
        entries.firstIndex { Self.sameName($0.account.name, name) }
    }

    static func sameName(_ a: String, _ b: String) -> Bool {
        a.compare(b, options: [.caseInsensitive]) == .orderedSame
    }

    // MARK: Decoding

    /// `lenient`: a Python file naming a provider we do not know still loads (with empty endpoints),
    /// so that logout can remove it.
    init(data: Data, path: String, lenient: Bool = false) throws(PECError) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw Self.corrupt(path, "it is not valid JSON")
        }
        guard var top = object as? [String: Any] else { throw Self.corrupt(path, "it is not a JSON object") }

        if let defaultName = top["default"], !(defaultName is NSNull) {
            guard let name = defaultName as? String else { throw Self.corrupt(path, "\"default\" is not a string") }
            explicitDefault = name
        }
        if let list = top["accounts"], !(list is NSNull) {
            guard let items = list as? [Any] else { throw Self.corrupt(path, "\"accounts\" is not a list") }
            for (position, item) in items.enumerated() {
                guard let dictionary = item as? [String: Any] else {
                    throw Self.corrupt(path, "account #\(position + 1) is not a JSON object")
                }
                entries.append(try Self.entry(dictionary, position: position, path: path))
            }
        } else if top["address"] != nil {
            isPythonFormat = true
            entries = [try Self.pythonEntry(top, path: path, lenient: lenient)]
        }
        for key in Self.pythonKeys + Self.ownKeys { top.removeValue(forKey: key) }
        extra = top
    }

    private static func entry(_ dictionary: [String: Any], position: Int, path: String) throws(PECError) -> Entry {
        let account: Account
        do {
            let data = try JSONSerialization.data(withJSONObject: dictionary, options: [])
            account = try JSONDecoder().decode(Account.self, from: data)
        } catch {
            throw corrupt(path, "account #\(position + 1) is incomplete or has a wrong value (\(describe(error)))")
        }
        guard account.passwordStorage != .shared else {
            throw corrupt(
                path,
                "account #\(position + 1) says \"shared\", but shared accounts live in the team's ledger"
            )
        }
        var passwordEnc: String?
        if let token = dictionary["password_enc"], !(token is NSNull) {
            guard let text = token as? String else {
                throw corrupt(path, "account #\(position + 1): \"password_enc\" is not a string")
            }
            passwordEnc = text
        }
        return Entry(
            account: account,
            passwordEnc: passwordEnc,
            extra: dictionary.filter { !entryKeys.contains($0.key) }
        )
    }

    private static func pythonEntry(_ top: [String: Any], path: String, lenient: Bool) throws(PECError) -> Entry {
        guard let address = top["address"] as? String, !address.isEmpty else {
            throw corrupt(path, "\"address\" is not a string")
        }
        var storage = PasswordStorage.file
        if let value = top["password_storage"], !(value is NSNull) {
            guard let text = value as? String, let parsed = PasswordStorage(rawValue: text), parsed != .shared else {
                throw corrupt(path, "\"password_storage\" must be \"keyring\" or \"fernet\"")
            }
            storage = parsed
        }
        let providerID = top["provider"] as? String
        var account: Account
        if let id = providerID, let preset = ProviderCatalog.preset(id: id) {
            account = Account(address: address, preset: preset)
        } else if lenient {
            let unknown = ServerEndpoint(host: "", port: 0)
            account = Account(address: address, provider: providerID, imap: unknown, smtp: unknown)
        } else {
            let what = providerID.map { "the provider \"\($0)\", which pec does not know" } ?? "no provider"
            throw PECError(
                .notAuthenticated,
                "the saved login for \(address) in \(path) names \(what)",
                hint: "log in again, choosing a provider or giving the servers",
                remedies: [.login(address: address), .listProviders]
            )
        }
        account.passwordStorage = storage
        var passwordEnc: String?
        if storage == .file {
            passwordEnc = top["password_enc"] as? String
        }
        return Entry(account: account, passwordEnc: passwordEnc)
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            (context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".") + " is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            context.codingPath.map(\.stringValue).joined(separator: ".") + " has a wrong value"
        default:
            "unreadable"
        }
    }

    static func corrupt(_ path: String, _ why: String) -> PECError {
        PECError(
            .io,
            "\(path) is damaged: \(why)",
            hint: "fix it, or delete it and log in again",
            remedy: .login(address: nil)
        )
    }

    // MARK: Encoding

    func encoded() throws(PECError) -> Data {
        var top = extra
        if let index = defaultIndex {
            let entry = entries[index]
            top["address"] = entry.account.address
            if let provider = entry.account.provider { top["provider"] = provider }
            top["password_storage"] = entry.account.passwordStorage.rawValue
            if entry.account.passwordStorage == .file, let token = entry.passwordEnc {
                top["password_enc"] = token
            }
        }
        var list: [Any] = []
        for entry in entries {
            var dictionary = entry.extra
            let data: Data
            do {
                data = try JSONEncoder().encode(entry.account)
                guard let known = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    throw PECError(.internal, "an account did not encode as a JSON object")
                }
                dictionary.merge(known) { _, new in new }
            } catch {
                throw PECError(.internal, "cannot encode the account \(entry.account.name): \(error)")
            }
            if entry.account.passwordStorage == .file, let token = entry.passwordEnc {
                dictionary["password_enc"] = token
            }
            list.append(dictionary)
        }
        top["accounts"] = list
        if let name = explicitDefault {
            // Kept when no local account has the name: it may be a shared account's.
            top["default"] = index(named: name).map { entries[$0].account.name } ?? name
        }
        do {
            var data = try JSONSerialization.data(
                withJSONObject: top,
                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            )
            data.append(0x0A)
            return data
        } catch {
            throw PECError(.internal, "cannot encode credentials.json: \(error)")
        }
    }
}
