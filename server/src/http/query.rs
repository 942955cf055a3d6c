//! What query strings share across resources: flags written `true`/`1` or
//! `false`/`0` (links and scripts use both), and comma-separated lists. Every
//! query is a `#[derive(Deserialize, IntoParams)]` struct in its resource's
//! module; a value that does not parse is axum's 400, which `json_errors`
//! gives the API's error shape.

use serde::{de::Error as _, Deserialize, Deserializer};

/// A flag: `true`, `1`, `false` or `0` (anything else is a 400).
pub fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    let Some(text) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    match text.as_str() {
        "true" | "1" => Ok(Some(true)),
        "false" | "0" => Ok(Some(false)),
        other => Err(D::Error::custom(format!(
            "expected true, false, 1 or 0, not {other:?}"
        ))),
    }
}

/// The non-empty, trimmed items of a comma-separated list.
pub fn list(text: Option<&str>) -> Vec<String> {
    text.into_iter()
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Q {
        #[serde(default, deserialize_with = "flag")]
        follow: Option<bool>,
    }

    fn parse(query: &str) -> Result<Option<bool>, String> {
        let uri: axum::http::Uri = format!("/x?{query}").parse().unwrap();
        axum::extract::Query::<Q>::try_from_uri(&uri)
            .map(|q| q.0.follow)
            .map_err(|e| e.body_text())
    }

    #[test]
    fn flags_read_words_and_digits_and_refuse_the_rest() {
        assert_eq!(parse("follow=true"), Ok(Some(true)));
        assert_eq!(parse("follow=1"), Ok(Some(true)));
        assert_eq!(parse("follow=0"), Ok(Some(false)));
        assert_eq!(parse(""), Ok(None));
        assert!(parse("follow=yes").unwrap_err().contains("expected true"));
        assert_eq!(list(Some(" a, ,b ")), ["a", "b"]);
    }
}
