/// The Content-Type given to an attachment, from its file name's extension (case-insensitive).
/// Only types common in Italian PEC traffic are named; anything else is application/octet-stream,
/// which every client offers to save.
package enum AttachmentContentType {
    package static let fallback = "application/octet-stream"

    private static let byExtension: [String: String] = [
        "pdf": "application/pdf",
        "xml": "application/xml",
        // Signed documents (CAdES): the .p7m envelope and detached .p7s signatures.
        "p7m": "application/pkcs7-mime",
        "p7s": "application/pkcs7-signature",
        "txt": "text/plain",
        "csv": "text/csv",
        "html": "text/html",
        "htm": "text/html",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "png": "image/png",
        "gif": "image/gif",
        "tif": "image/tiff",
        "tiff": "image/tiff",
        "zip": "application/zip",
        "doc": "application/msword",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls": "application/vnd.ms-excel",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odt": "application/vnd.oasis.opendocument.text",
        "ods": "application/vnd.oasis.opendocument.spreadsheet",
        "rtf": "application/rtf",
        // message/rfc822 must be 7bit/8bit/binary (RFC 2046 §5.2.1), never base64, and a saved
        // .eml may hold 8-bit bytes: sent as opaque bytes so it arrives byte for byte.
        "eml": fallback,
        "json": "application/json",
    ]

    package static func forFilename(_ filename: String) -> String {
        guard let dot = filename.lastIndex(of: "."), dot != filename.startIndex else { return fallback }
        let fileExtension = filename[filename.index(after: dot)...].lowercased()
        return byExtension[fileExtension] ?? fallback
    }
}
