extension IMAP {
    /// A message's unique identifier in its mailbox (RFC 3501 §2.3.1.1). Never mixed up with a
    /// ``SequenceNumber``: the two are distinct types.
    public struct UID: RawRepresentable, Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral,
        CustomStringConvertible
    {
        public var rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public init(_ rawValue: UInt32) { self.rawValue = rawValue }
        public init(integerLiteral value: UInt32) { self.rawValue = value }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
        public var description: String { String(rawValue) }
    }

    /// A message's position in the selected mailbox (RFC 3501 §2.3.1.2); changes on EXPUNGE.
    public struct SequenceNumber: RawRepresentable, Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral,
        CustomStringConvertible
    {
        public var rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public init(_ rawValue: UInt32) { self.rawValue = rawValue }
        public init(integerLiteral value: UInt32) { self.rawValue = value }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
        public var description: String { String(rawValue) }
    }

    /// The UIDVALIDITY of a mailbox: when it changes, every cached ``UID`` is void (RFC 3501 §2.3.1.1).
    public struct UIDValidity: RawRepresentable, Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral,
        CustomStringConvertible
    {
        public var rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public init(_ rawValue: UInt32) { self.rawValue = rawValue }
        public init(integerLiteral value: UInt32) { self.rawValue = value }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
        public var description: String { String(rawValue) }
    }

    /// A CONDSTORE modification sequence (RFC 7162), 63 bits on the wire.
    public struct ModSeq: RawRepresentable, Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral,
        CustomStringConvertible
    {
        public var rawValue: UInt64
        public init(rawValue: UInt64) { self.rawValue = rawValue }
        public init(_ rawValue: UInt64) { self.rawValue = rawValue }
        public init(integerLiteral value: UInt64) { self.rawValue = value }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
        public var description: String { String(rawValue) }
    }
}
