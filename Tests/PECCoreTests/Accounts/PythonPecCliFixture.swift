/// Files exactly as the Python pec-cli leaves them after `pec auth login` when no keyring is available,
/// generated with Python's `cryptography` 48 (sandbox/.venv):
///
/// ```python
/// import json
/// from cryptography.fernet import Fernet
/// key = Fernet.generate_key()                      # written to key.bin as is
/// token = Fernet(key).encrypt(PASSWORD.encode()).decode()
/// json.dumps({"address": ..., "provider": "aruba", "password_storage": "fernet", "password_enc": token}, indent=2)
/// ```
///
/// Kept as Swift literals so the test target needs no resources.
enum PythonPecCliFixture {
    static let password = "Pà$$w0rd-€ \"q\" 42"
    static let address = "mario.rossi@pec.it"

    /// key.bin: the urlsafe-base64 key text, no newline.
    static let keyBin = "GQLrz_xIJ8D02V2IMpG2cACKfIXdQDDgPACIWxdkXNI="

    static let token =
        "gAAAAABrAQR2BgEaWq2azEVU38fa7qoCISeoxsoCodO_NPFpPwGxAIuQKpvZkvZ19E1msPFm5a5gBnf-MYYZWE3oflLSZGDv7kRpRijYBEr9n9FOO-2gur4="

    /// credentials.json with the password in the file.
    static let credentialsJSON = """
        {
          "address": "mario.rossi@pec.it",
          "provider": "aruba",
          "password_storage": "fernet",
          "password_enc": "\(token)"
        }
        """

    /// An older Python pec-cli file: no `password_storage`, which means fernet.
    static let legacyCredentialsJSON = """
        {"address": "mario.rossi@pec.it", "provider": "aruba", "password_enc": "\(token)"}
        """

    /// The file when the password went to the keyring.
    static func keyringCredentialsJSON(address: String, provider: String = "legalmail") -> String {
        """
        {
          "address": "\(address)",
          "provider": "\(provider)",
          "password_storage": "keyring"
        }
        """
    }
}
