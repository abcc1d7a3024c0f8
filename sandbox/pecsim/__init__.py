"""A local PEC provider (gestore) simulator: an SMTPS submission server that writes real-format
PEC messages (receipts, transport envelopes, non-delivery notices), signed with S/MIME, into the
Maildirs a local Dovecot serves. See docs/sandbox.md."""
