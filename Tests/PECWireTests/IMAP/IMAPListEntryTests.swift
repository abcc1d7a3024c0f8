import Testing

@testable import PECWire

@Suite("LIST entries")
struct IMAPListEntryTests {
    @Test(
        "a mailbox can hold messages unless it is \\Noselect or \\NonExistent",
        arguments: [
            ([], true),
            ([IMAP.MailboxAttribute.hasChildren, .sent], true),
            ([.noselect], false),
            ([.hasChildren, .nonExistent], false),
        ] as [([IMAP.MailboxAttribute], Bool)]
    )
    func selectable(attributes: [IMAP.MailboxAttribute], expected: Bool) {
        let name = IMAP.MailboxName("Archivio")
        let entry = IMAP.ListEntry(attributes: attributes, separator: UInt8(ascii: "/"), name: name)
        #expect(entry.isSelectable == expected)
    }
}
