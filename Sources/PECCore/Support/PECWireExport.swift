// PECCore's API speaks the wire types (IMAP mailbox names, MIME entities, daticert records), so
// whoever imports PECCore sees PECWire too and need not import both.
@_exported import PECWire
