//! What may name an uploaded scenario: a lowercase slug, so an id is never a
//! path (`.`, `..`, `a/b`, `x.yaml`), never huge, and never a case variant of
//! another (`Market-Crash` beside `market-crash`). Library files keep the names
//! they ship with; these rules apply to what arrives over the network.

use app::api::{ApiError, ErrorKind};

use crate::{library::Library, store::Store};

/// Longest id, in characters.
pub const MAX_ID_CHARS: usize = 64;

/// Why `name` cannot be an uploaded scenario's id; `None` when it can. An id is
/// 1 to [`MAX_ID_CHARS`] characters of `a-z`, `0-9`, `-` and `_`, starting
/// with a letter or digit.
pub fn id_problem(name: &str) -> Option<String> {
    let shown: String = name.chars().take(MAX_ID_CHARS).collect();
    let shown = if shown.len() < name.len() {
        format!("{shown:?}…")
    } else {
        format!("{shown:?}")
    };
    if name.is_empty() {
        return Some("metadata.name is empty; an uploaded scenario needs a name".to_owned());
    }
    if name.chars().count() > MAX_ID_CHARS {
        return Some(format!(
            "metadata.name {shown} is {} characters long; an id has at most {MAX_ID_CHARS}",
            name.chars().count()
        ));
    }
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !(first_ok && rest_ok) {
        return Some(format!(
            "metadata.name {shown} cannot be an id: use lowercase letters, digits, '-' and '_', starting with a letter or digit (e.g. \"my-exchange-outage\")"
        ));
    }
    None
}

/// Refuses an upload's id that is not an id (422), a case variant of a stored
/// one (409), or a library scenario's or template's name without
/// `override_library` (409); a first upload that replaces a library entry is
/// logged (the audit log of a later issue will record it too). Later versions
/// of an upload that already replaces one need no flag: the choice was made.
pub async fn check_upload_name(
    store: &Store,
    library: &Library,
    id: &str,
    override_library: bool,
) -> Result<(), ApiError> {
    if let Some(problem) = id_problem(id) {
        return Err(ApiError::new(ErrorKind::Validation, problem));
    }
    if let Some(other) = store.fetch_case_variant(id).await? {
        return Err(ApiError::new(
            ErrorKind::Conflict,
            format!("{id:?} differs only in case from the uploaded scenario {other:?}; use that name or another"),
        ));
    }
    let in_library = library.find_any(id).is_some();
    if !in_library || store.fetch_scenario(id, None).await?.is_some() {
        return Ok(());
    }
    if !override_library {
        return Err(ApiError::new(
            ErrorKind::Conflict,
            format!("{id:?} is a library scenario; saving under its name would replace it in listings. Choose another name, or send override_library: true to replace it deliberately"),
        ));
    }
    tracing::warn!(scenario = %id, "an upload replaces the library scenario of that name in listings (override_library)");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_ids_and_paths_dots_long_or_uppercase_names_are_not() {
        for good in [
            "market-crash",
            "a",
            "x_1",
            "0day",
            &"a".repeat(MAX_ID_CHARS),
        ] {
            assert_eq!(id_problem(good), None, "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "x.yaml",
            "-x",
            "_x",
            "Market-Crash",
            "caf\u{e9}",
            "a b",
            &"a".repeat(MAX_ID_CHARS + 1),
            &"a".repeat(300),
        ] {
            assert!(id_problem(bad).is_some(), "{bad:?} was accepted");
        }
        let long = id_problem(&"a".repeat(300)).unwrap();
        assert!(long.contains("300 characters"), "{long}");
        assert!(
            long.len() < 200,
            "the message does not repeat the whole name: {long}"
        );
    }
}
