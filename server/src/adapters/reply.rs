//! Saying what was wrong with a service's reply, rather than "request failed":
//! a transport error's cause chain (a reply that is not HTTP, a reset, a body
//! cut short), or a body that is not the JSON the caller needed, with a snippet.

use std::error::Error as _;

/// Longest part of a body quoted in a message.
const SNIPPET_CHARS: usize = 120;

/// Why `error` happened, in words: timeouts and refused connections plainly,
/// anything else as its cause chain (`connection closed before message
/// completed`, `invalid HTTP version parsed`, …), without the URL (the caller
/// names the service and path already).
pub fn describe_transport_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".to_owned();
    }
    let mut causes: Vec<String> = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !causes.iter().any(|c| c.contains(&text)) {
            causes.push(text);
        }
        source = cause.source();
    }
    let what = if error.is_connect() {
        "cannot connect"
    } else if error.is_body() || error.is_decode() {
        "the reply's body could not be read"
    } else {
        "no valid HTTP reply"
    };
    if causes.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {}", causes.join(": "))
    }
}

/// The body as JSON, or why it is not: `"… was not JSON (expected value at line
/// 1 column 1): <snippet>"`. `who` names the reply (`exchange-simulator's reply
/// to /health`).
pub fn parse_json(who: &str, status: u16, bytes: &[u8]) -> Result<serde_json::Value, String> {
    serde_json::from_slice(bytes).map_err(|error| {
        if bytes.is_empty() {
            format!("{who} ({status}) had an empty body where JSON was expected")
        } else {
            format!(
                "{who} ({status}) was not JSON ({error}): {}",
                snippet(bytes)
            )
        }
    })
}

/// The start of `bytes` as text, quoted, `…` when cut.
pub fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut kept: String = text.chars().take(SNIPPET_CHARS).collect();
    if text.chars().nth(SNIPPET_CHARS).is_some() {
        kept.push('…');
    }
    format!("{kept:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_that_is_not_json_is_named_with_the_parse_error_and_a_snippet() {
        let message = parse_json(
            "exchange-simulator's reply to /api/positions",
            200,
            b"<html>oops</html>",
        )
        .unwrap_err();
        assert!(
            message.contains("was not JSON (expected value at line 1 column 1)"),
            "{message}"
        );
        assert!(message.contains("\"<html>oops</html>\""), "{message}");
        let long = parse_json("x", 200, "y".repeat(1000).as_bytes()).unwrap_err();
        assert!(long.len() < 300, "{long}");
        assert!(parse_json("x", 204, b"")
            .unwrap_err()
            .contains("empty body"));
        assert_eq!(parse_json("x", 200, b"{\"a\":1}").unwrap()["a"], 1);
    }

    #[tokio::test]
    async fn a_reply_that_is_not_http_says_so() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buffer = [0u8; 1024];
            let _ = socket.read(&mut buffer).await;
            let _ = socket.write_all(b"garbage, not HTTP\r\n\r\n").await;
        });
        let error = reqwest::get(format!("http://{address}/health"))
            .await
            .unwrap_err();
        let message = describe_transport_error(&error);
        assert!(message.starts_with("no valid HTTP reply: "), "{message}");
        assert_ne!(message, "no valid HTTP reply: ", "{message}");
        assert!(
            !message.contains("127.0.0.1"),
            "the caller names the target: {message}"
        );
    }
}
