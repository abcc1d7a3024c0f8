/// Namespace for the IMAP4rev1 / IMAP4rev2 grammar: value types, the response parser and the command encoder.
///
/// Everything here is pure: bytes in, values out, no I/O. Wire strings stay raw bytes (`[UInt8]`) where
/// the wire is bytes; decoding RFC 2047 words or charsets is the job of a higher layer.
///
/// - SeeAlso: [RFC 3501](https://datatracker.ietf.org/doc/html/rfc3501),
///   [RFC 9051](https://datatracker.ietf.org/doc/html/rfc9051)
package enum IMAP {}
