//! User text for the two places Leptos's server renderer writes text without
//! escaping it: the children of `<textarea>` (tachys treats them like `<script>`)
//! and `<Title>` (leptos_meta copies it into `<title>` as is). Written there
//! unescaped, a stored `</textarea><img src=x onerror=…>` ran as markup.

/// `text` escaped for the server's HTML (`&` and `<`, which is all a
/// `<textarea>` or `<title>` body needs: the browser decodes the entities
/// back); unchanged in the browser, which sets it as text.
pub fn raw_text(text: impl Into<String>) -> String {
    let text = text.into();
    if cfg!(feature = "ssr") {
        escape_text(&text)
    } else {
        text
    }
}

/// `&` and `<` as character references.
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_text;

    #[test]
    fn a_closing_tag_cannot_end_the_element() {
        assert_eq!(
            escape_text("a: \"</textarea><img src=x onerror=alert(1)>\" & b"),
            "a: \"&lt;/textarea>&lt;img src=x onerror=alert(1)>\" &amp; b"
        );
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(
            escape_text("name: \"déjà vu\" > 3"),
            "name: \"déjà vu\" > 3"
        );
    }
}
