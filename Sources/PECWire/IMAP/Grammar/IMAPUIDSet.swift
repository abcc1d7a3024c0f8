extension IMAP {
    /// A set of ``UID``s kept as sorted, merged ranges, so that "1:4294967295" costs two integers.
    ///
    /// `*` ("the largest UID in use") is represented by `UID(UInt32.max)`, which is also how it encodes:
    /// ``from(_:)`` gives "n:*". Encodes compressed: "1:3,7,9:*".
    ///
    /// - SeeAlso: [RFC 3501 §9 sequence-set](https://datatracker.ietf.org/doc/html/rfc3501#section-9)
    package struct UIDSet: Hashable, Sendable, CustomStringConvertible {
        /// Sorted, non-overlapping, non-adjacent ranges.
        package private(set) var ranges: [ClosedRange<UID>]

        /// An empty set (encodes as nothing; the encoder refuses to send it).
        package init() { self.ranges = [] }

        package init(_ uids: some Sequence<UID>) {
            self.ranges = []
            for uid in uids.sorted() {
                insert(uid...uid)
            }
        }

        package init(_ range: ClosedRange<UID>) {
            self.ranges = [range]
        }

        /// Ranges in any order, overlapping or not.
        package init(ranges: some Sequence<ClosedRange<UID>>) {
            self.ranges = []
            for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
                insert(range)
            }
        }

        /// "n:*": every UID from `uid` to the last one in the mailbox.
        package static func from(_ uid: UID) -> UIDSet {
            UIDSet(uid...UID(UInt32.max))
        }

        package var isEmpty: Bool { ranges.isEmpty }

        /// Number of UIDs (`*` counts as `UInt32.max`), without expanding anything.
        package var count: UInt64 {
            ranges.reduce(0) { $0 + UInt64($1.upperBound.rawValue - $1.lowerBound.rawValue) + 1 }
        }

        package func contains(_ uid: UID) -> Bool {
            var low = 0
            var high = ranges.count - 1
            while low <= high {
                let mid = (low + high) / 2
                if ranges[mid].upperBound < uid {
                    low = mid + 1
                } else if ranges[mid].lowerBound > uid {
                    high = mid - 1
                } else {
                    return true
                }
            }
            return false
        }

        /// Inserts a range, merging with its neighbours.
        package mutating func insert(_ range: ClosedRange<UID>) {
            var low = range.lowerBound.rawValue
            var high = range.upperBound.rawValue
            var result: [ClosedRange<UID>] = []
            result.reserveCapacity(ranges.count + 1)
            var inserted = false
            for existing in ranges {
                let eLow = existing.lowerBound.rawValue
                let eHigh = existing.upperBound.rawValue
                // Disjoint and not adjacent, before the new range.
                if eHigh < low && low - eHigh > 1 {
                    result.append(existing)
                } else if eLow > high && eLow - high > 1 {
                    if !inserted {
                        result.append(UID(low)...UID(high))
                        inserted = true
                    }
                    result.append(existing)
                } else {
                    low = min(low, eLow)
                    high = max(high, eHigh)
                }
            }
            if !inserted {
                result.append(UID(low)...UID(high))
            }
            ranges = result
        }

        package mutating func insert(_ uid: UID) {
            insert(uid...uid)
        }

        /// The wire form: "1:3,7,9:*"; "" when empty.
        package var description: String {
            ranges.map { range -> String in
                let low = Self.render(range.lowerBound)
                if range.lowerBound == range.upperBound { return low }
                return low + ":" + Self.render(range.upperBound)
            }.joined(separator: ",")
        }

        private static func render(_ uid: UID) -> String {
            uid.rawValue == UInt32.max ? "*" : String(uid.rawValue)
        }
    }
}
