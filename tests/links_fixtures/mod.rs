//! The captures of `fixtures/links/`, shared by `tests/links.rs` and `tests/ndp.rs` (public API
//! only: these tests run without the `internals` feature).
#![allow(dead_code)]

use std::path::PathBuf;

use pcap_rca::{Config, Report};

/// `fixtures/links/NAME`.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/links")
        .join(name)
}

/// The configuration these tests analyse with: the defaults on two threads.
pub fn config() -> Config {
    let mut cfg = Config::default();
    cfg.threads = 2;
    cfg
}

/// The report of `fixtures/links/NAME`.
pub fn report(name: &str) -> Report {
    pcap_rca::analyze_path(path(name), &config()).unwrap_or_else(|e| panic!("{name}: {e}"))
}
