extension DaticertError {
    /// The same failure as a ``PECError`` of kind `malformed`.
    package var pecError: PECError {
        PECError(.malformed, description)
    }
}
