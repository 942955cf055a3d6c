use app::scenario::catalog::Catalog;
use std::path::PathBuf;

/// The workspace root (the parent of `app/`).
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("app/ has a parent")
        .to_path_buf()
}

/// A file of the workspace, read as text.
pub fn read(relative: &str) -> String {
    let path = workspace().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The sandbox ecosystem's catalog: the fixture's services plus the built-in
/// assertion types.
pub fn sandbox_catalog() -> Catalog {
    let fixture: Catalog = serde_json::from_str(&read("app/tests/fixtures/sandbox-catalog.json"))
        .expect("the fixture catalog deserialises");
    let mut catalog = Catalog::new();
    catalog.services = fixture.services;
    catalog
}

/// The seed's parameters for the exchange-disruption template (its README's CLI example).
pub const SEED_TEMPLATE_PARAMS: &str =
    "target_exchange=exchange-simulator,disruption_type=latency,duration=10m";
