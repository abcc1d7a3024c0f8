extension DaticertError {
    /// The same failure as a ``PECError`` of kind `malformed`.
    public var pecError: PECError {
        PECError(.malformed, description)
    }
}
