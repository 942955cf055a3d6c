//! Resources of server functions' answers, read in the browser the way the
//! server functions' own client reads them.
//!
//! A resource the server renders reaches the browser twice over: inside the
//! page, read once at hydration, and from its server function on every later
//! load. Leptos's default codec reads the first with `serde_json::from_str`,
//! and a server function's `Json` output is read with
//! `serde_json::from_slice`. Those are two readers, so every API type's
//! `Deserialize` was compiled into the WASM twice, once per reader.
//! [`JsonBytes`] reads the page's copy from its bytes too, and the two loads
//! share one copy (docs/build.md, "The main module").

use std::future::Future;

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::{de::DeserializeOwned, Serialize};

/// JSON, written as Leptos's default codec writes it and read from bytes, as
/// a server function's answer is.
pub struct JsonBytes;

impl<T: Serialize> Encoder<T> for JsonBytes {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for JsonBytes {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(text: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(text.as_bytes())
    }
}

/// [`Resource::new`] with [`JsonBytes`]: what every page uses for a server
/// function's answer.
#[track_caller]
pub fn server_resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, JsonBytes>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: PartialEq + Clone + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{ApiError, Overview};

    #[test]
    fn what_the_server_writes_the_browser_reads_back() {
        let sent: Result<Overview, ApiError> = Ok(Overview {
            executions_by_status: vec![("passed".to_owned(), 2)],
            recent_executions: Vec::new(),
            service_count: 3,
            library_count: 7,
        });
        let text = <JsonBytes as Encoder<_>>::encode(&sent).expect("writes");
        let read: Result<Overview, ApiError> =
            <JsonBytes as Decoder<_>>::decode(text.as_str()).expect("reads");
        assert_eq!(read, sent);
        let broken = <JsonBytes as Decoder<Result<Overview, ApiError>>>::decode("{\"Ok\":");
        assert!(broken.is_err());
    }
}
