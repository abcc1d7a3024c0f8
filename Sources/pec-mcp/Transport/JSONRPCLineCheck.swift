import Foundation

/// The few checks of a received line that the SDK's `Server` cannot answer correctly, answered
/// here instead: its `ID` has no `null`, so it answers a parse error with a made-up id, and a
/// request whose id is neither a string nor a number decodes as a notification and gets no answer
/// at all. Everything else (methods, params, batches' contents) is left to the SDK.
enum JSONRPCLineCheck {
    enum Verdict: Equatable {
        /// A message for the SDK.
        case forward
        /// Not a message: answer with this JSON-RPC error (id `null`) and drop the line.
        case reject(code: Int, message: String)
    }

    static func check(_ line: [UInt8]) -> Verdict {
        let shape: Shape
        do {
            shape = try JSONDecoder().decode(Shape.self, from: Data(line))
        } catch {
            return .reject(code: -32700, message: "Parse error: the line is not JSON")
        }
        switch shape {
        case .message(validID: true), .batch(validIDs: true): return .forward
        case .message(validID: false), .batch(validIDs: false):
            return .reject(code: -32600, message: "Invalid Request: the id must be a string, a whole number or null")
        case .emptyBatch: return .reject(code: -32600, message: "Invalid Request: an empty batch")
        case .other: return .reject(code: -32600, message: "Invalid Request: not a JSON-RPC object")
        }
    }

    /// The error response, one line of JSON without the newline.
    static func errorResponse(code: Int, message: String) -> Data {
        struct ErrorBody: Encodable {
            var code: Int
            var message: String
        }
        struct Response: Encodable {
            var jsonrpc = "2.0"
            var id: String? = nil
            var error: ErrorBody

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(jsonrpc, forKey: .jsonrpc)
                try container.encodeNil(forKey: .id)
                try container.encode(error, forKey: .error)
            }

            enum CodingKeys: String, CodingKey { case jsonrpc, id, error }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(Response(error: ErrorBody(code: code, message: message)))) ?? Data()
    }

    /// What the top level of a line is, and whether its ids are ones the SDK can answer to.
    private enum Shape: Decodable {
        case message(validID: Bool)
        case batch(validIDs: Bool)
        case emptyBatch
        case other

        init(from decoder: any Decoder) throws {
            if let object = try? decoder.container(keyedBy: IDKey.self) {
                self = .message(validID: Self.validID(in: object))
            } else if var array = try? decoder.unkeyedContainer() {
                if array.isAtEnd {
                    self = .emptyBatch
                    return
                }
                var valid = true
                // Bounded by the array's length: every element is decoded once.
                while !array.isAtEnd {
                    let element = try array.decode(Element.self)
                    valid = valid && element.valid
                }
                self = .batch(validIDs: valid)
            } else {
                self = .other
            }
        }

        private struct Element: Decodable {
            var valid: Bool

            init(from decoder: any Decoder) throws {
                guard let object = try? decoder.container(keyedBy: IDKey.self) else {
                    valid = false
                    return
                }
                valid = Shape.validID(in: object)
            }
        }

        fileprivate enum IDKey: String, CodingKey { case id }

        /// No id (a notification), null, a string or a whole number: what the SDK's `ID` decodes.
        fileprivate static func validID(in object: KeyedDecodingContainer<IDKey>) -> Bool {
            guard object.contains(.id) else { return true }
            if (try? object.decodeNil(forKey: .id)) == true { return true }
            if (try? object.decode(String.self, forKey: .id)) != nil { return true }
            return (try? object.decode(Int.self, forKey: .id)) != nil
        }
    }
}
