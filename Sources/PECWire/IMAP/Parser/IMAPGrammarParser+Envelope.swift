extension IMAP.GrammarParser {
    // envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP env-to SP env-cc SP
    //            env-bcc SP env-in-reply-to SP env-message-id ")"
    // env-date = nstring; env-subject = nstring; env-in-reply-to = nstring; env-message-id = nstring
    static func parseEnvelope(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> IMAP.Envelope {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            try PL.parseByte(openParen, &buffer)
            PL.skipSpaces(&buffer)  // tolerance: "( " seen in the wild
            let date = try parseNString(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let subject = try parseNString(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let from = try parseEnvelopeAddresses(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let sender = try parseEnvelopeAddresses(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let replyTo = try parseEnvelopeAddresses(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let to = try parseEnvelopeAddresses(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let cc = try parseEnvelopeAddresses(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let bcc = try parseEnvelopeAddresses(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let inReplyTo = try parseNString(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let messageID = try parseNString(&buffer, tracker)
            PL.skipSpaces(&buffer)
            try PL.parseByte(closeParen, &buffer)
            return IMAP.Envelope(
                date: date,
                subject: subject,
                from: from,
                sender: sender,
                replyTo: replyTo,
                to: to,
                cc: cc,
                bcc: bcc,
                inReplyTo: inReplyTo,
                messageID: messageID
            )
        }
    }

    // env-from = "(" 1*address ")" / nil   (env-sender, env-reply-to, env-to, env-cc, env-bcc alike)
    // Tolerance: "()" (an empty list) where NIL is due, and spaces between addresses.
    static func parseEnvelopeAddresses(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> [IMAP.Address] {
        if try buffer.peek() == openParen {
            return try parseParenthesizedList(&buffer, tracker) { buffer, tracker in
                try parseAddress(&buffer, tracker)
            }
        }
        try parseNil(&buffer, tracker)
        return []
    }

    // address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"
    // addr-name = nstring; addr-adl = nstring; addr-mailbox = nstring; addr-host = nstring
    static func parseAddress(_ buffer: inout ParseBuffer, _ tracker: StackTracker) throws -> IMAP.Address {
        try PL.composite(&buffer, tracker) { buffer, tracker in
            try PL.parseByte(openParen, &buffer)
            let name = try parseNString(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let adl = try parseNString(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let mailbox = try parseNString(&buffer, tracker)
            try PL.parseSpaces(&buffer)
            let host = try parseNString(&buffer, tracker)
            try PL.parseByte(closeParen, &buffer)
            return IMAP.Address(name: name, adl: adl, mailbox: mailbox, host: host)
        }
    }
}
