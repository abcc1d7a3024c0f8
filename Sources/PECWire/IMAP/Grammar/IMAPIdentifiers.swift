extension IMAP {
    /// A number that identifies a message or a mailbox state (after apple/swift-nio-imap's
    /// `MessageIdentifier`): each kind is its own type, so a ``UID`` is never passed as a
    /// ``SequenceNumber``, and they share this one implementation.
    package protocol MessageIdentifier: RawRepresentable, Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral,
        CustomStringConvertible
    where RawValue: FixedWidthInteger & UnsignedInteger & Sendable, IntegerLiteralType == RawValue {
        init(rawValue: RawValue)
    }

    /// A message's unique identifier in its mailbox (RFC 3501 §2.3.1.1).
    package struct UID: MessageIdentifier {
        package var rawValue: UInt32
        package init(rawValue: UInt32) { self.rawValue = rawValue }
    }

    /// A message's position in the selected mailbox (RFC 3501 §2.3.1.2); changes on EXPUNGE.
    package struct SequenceNumber: MessageIdentifier {
        package var rawValue: UInt32
        package init(rawValue: UInt32) { self.rawValue = rawValue }
    }

    /// The UIDVALIDITY of a mailbox: when it changes, every cached ``UID`` is void (RFC 3501 §2.3.1.1).
    package struct UIDValidity: MessageIdentifier {
        package var rawValue: UInt32
        package init(rawValue: UInt32) { self.rawValue = rawValue }
    }

    /// A CONDSTORE modification sequence (RFC 7162), 63 bits on the wire.
    package struct ModSeq: MessageIdentifier {
        package var rawValue: UInt64
        package init(rawValue: UInt64) { self.rawValue = rawValue }
    }
}

extension IMAP.MessageIdentifier {
    package init(_ rawValue: RawValue) { self.init(rawValue: rawValue) }
    package init(integerLiteral value: RawValue) { self.init(rawValue: value) }
    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    package var description: String { String(rawValue) }
}
