import Foundation

@testable import PECCore

extension LedgerSend {
    /// A one-attempt send the server accepted for every recipient (all in To): what receipts are
    /// tracked against.
    static func sent(messageID: String, to recipients: [String], at sentAt: Date) -> LedgerSend {
        LedgerSend(
            messageID: messageID,
            account: "mario",
            fromAddress: "mario@pec.example.it",
            subject: "Diffida",
            preparedAt: sentAt,
            firstAttemptAt: sentAt,
            lastAttemptAt: sentAt,
            attempts: 1,
            status: .sent,
            size: 100,
            recipients: recipients.map { LedgerRecipient(address: $0, role: .to, accepted: true) },
            attachments: []
        )
    }
}
