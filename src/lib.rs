//! pcap-rca reads packet captures and explains, ranked and with evidence, why clients fail to
//! reach a server.
//!
//! The pipeline (see `DESIGN.md` in the shared folder for the whole picture):
//!
//! ```text
//! capture bytes -> frames (capture) -> packets (decode, parallel) -> flows (flow, sharded)
//!   -> analysis -> findings and root causes -> report (JSON contract, text)
//! ```
//!
//! # Memory
//!
//! Memory follows the flows alive at once, not the size of the capture: idle flows expire,
//! the flow table holds at most `Config::max_flows`, finished flows beyond
//! `Config::max_records` are folded into one record per server and outcome
//! ([`flow::fold`]), and each kind of event is capped at `Config::max_events`. What was
//! counted but not kept is listed in the report's `summary.limits`.
//!
//! # Example
//!
//! ```
//! let cfg = pcap_rca::Config::default();
//! let report = pcap_rca::analyze_path("fixtures/healthy-mix.pcap", &cfg)?;
//! assert_eq!(report.schema, "pcap-rca.report/1");
//! assert!(report.captures[0].packets > 0);
//! println!("{}", report.to_json());
//! # Ok::<(), pcap_rca::Error>(())
//! ```
#![forbid(unsafe_code)]

pub mod analysis;
pub mod capture;
pub mod decode;
pub mod detect;
pub mod finding;
pub mod flow;
pub mod fuzzing;
pub mod rank;
pub mod report;
pub mod tls;

use std::path::Path;

pub use analysis::{Analysis, Config};
pub use capture::Input;
pub use finding::{Finding, RootCause, Severity};
pub use flow::Conn;
pub use report::Report;

/// Why an analysis could not be done at all. Problems with single packets or records never
/// end up here: they are counted and reported.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input could not be opened or read.
    #[error("{name}: cannot read: {source}")]
    Io {
        name: String,
        #[source]
        source: std::io::Error,
    },
    /// The input is not a pcap or pcapng capture (plain, gzip or zstd).
    #[error("{name}: not a packet capture (pcap or pcapng): looks like {what}")]
    NotACapture { name: String, what: String },
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// Result type of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Analyses the capture at `path` (pcap or pcapng, plain, `.gz` or `.zst`).
pub fn analyze_path(path: impl AsRef<Path>, cfg: &Config) -> Result<Report> {
    let input = Input::Path(path.as_ref().to_path_buf());
    Ok(analysis::analyze(&[input], cfg)?.report())
}

/// Analyses a capture already in memory.
pub fn analyze_bytes(bytes: &[u8], cfg: &Config) -> Result<Report> {
    let input = Input::Bytes {
        name: "<memory>".to_string(),
        data: bytes,
    };
    Ok(analysis::analyze(&[input], cfg)?.report())
}

/// Analyses several captures as one incident, their packets merged in timestamp order.
pub fn analyze_inputs(inputs: &[Input<'_>], cfg: &Config) -> Result<Analysis> {
    analysis::analyze(inputs, cfg)
}
