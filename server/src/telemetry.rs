//! Structured JSON logs through `tracing`. The sink is a parameter so that tests
//! can send logs to `std::io::sink`.

use tracing_subscriber::{
    fmt::MakeWriter, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter,
};

/// Installs the global subscriber: JSON lines, filtered by `filter` (already
/// validated by the config), written to `writer`. A second call is a no-op, so
/// tests that build several applications in one process do not fail.
pub fn init<W>(filter: &str, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_writer(writer);
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(json)
        .try_init();
}
