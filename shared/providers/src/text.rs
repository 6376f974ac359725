//! Reading providers' optional text fields.

/// The value trimmed, or `None` when it is absent or blank.
pub(crate) fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
}
