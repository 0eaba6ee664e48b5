//! pcap-rca reads packet captures and explains, ranked and with evidence, why clients fail to
//! reach a server.
//!
//! # Using the library
//!
//! [`analyze_path`] (or [`analyze_bytes`]) takes a capture and a [`Config`] and returns the
//! [`Report`]: the JSON contract `pcap-rca.report/1` as Rust types, with its text rendering
//! ([`Report::to_text`]) and JSON ([`Report::to_json`]). [`analyze_inputs`] analyses several
//! captures as one incident and returns the [`Analysis`], which also lists every flow
//! ([`Analysis::flows`]) before it is turned into a report ([`Analysis::report`]).
//!
//! ```
//! let cfg = pcap_rca::Config::default();
//! let report = pcap_rca::analyze_path("fixtures/healthy-mix.pcap", &cfg)?;
//! assert_eq!(report.schema, "pcap-rca.report/1");
//! assert!(report.captures[0].packets > 0);
//! if let Some(top) = report.root_causes.first() {
//!     println!("{} ({}): {}", top.cause, top.severity.as_str(), top.title);
//! }
//! # Ok::<(), pcap_rca::Error>(())
//! ```
//!
//! The same report renders as text for a terminal ([`Report::to_text_view`], with a
//! [`View`] for `--top`, `--server`, `--verbose`, colour and language), Markdown for a ticket
//! ([`Report::to_markdown`]) and one self-contained HTML page ([`Report::to_html`]); each
//! escapes the strings that came off the wire for its medium.
//!
//! ```
//! use pcap_rca::{Config, Lang, View};
//! let report = pcap_rca::analyze_path("fixtures/syn-dropped-8081.pcap", &Config::default())?;
//! let terminal = report.to_text_view(&View { top: Some(1), ..View::default() });
//! assert!(terminal.contains("tcp_syn_unanswered"));
//! let ticket = report.to_markdown(&View { lang: Lang::Zh, ..View::default() });
//! assert!(ticket.contains("不响应 SYN"));
//! let page = report.to_html(&View::default());
//! assert!(page.starts_with("<!DOCTYPE html>"));
//! # Ok::<(), pcap_rca::Error>(())
//! ```
//!
//! For analysts, [`Analysis::tables`] and [`Analysis::export_tables`] give the flows,
//! findings, root causes and events as columns (CSV, or Parquet with the `parquet` feature):
//!
//! ```
//! use pcap_rca::{Config, Input, TableFormat};
//! let an = pcap_rca::analyze_inputs(&[Input::Path("fixtures/syn-dropped-8081.pcap".into())], &Config::default())?;
//! let report = an.report();
//! let dir = std::env::temp_dir().join("pcap-rca-doc-tables");
//! let files = an.export_tables(&report, &dir, TableFormat::Csv)?;
//! assert_eq!(files.len(), 4); // flows, findings, root_causes, events
//! # Ok::<(), pcap_rca::Error>(())
//! ```
//!
//! # Tuning the detectors
//!
//! Each detector's thresholds are tunables ([`detectors`] lists them: default, type, unit,
//! meaning). [`Config::tunables`] overrides them for one analysis, by key
//! `DETECTOR.TUNABLE`; [`Config::load_toml`] reads them (and the limits and flow timeouts)
//! from the file `pcap-rca analyze --config FILE.toml` takes, and [`Config::to_toml`] writes
//! one. A key that names no tunable, or a value it cannot take, is an [`Error::Config`]
//! before any packet is read.
//!
//! ```
//! use pcap_rca::{Config, Severity, TunableValue};
//! let mut cfg = Config::default();
//! cfg.load_toml("[tcp.syn_unanswered]\ncritical_attempts = 100\ncritical_syns = 100\n")?;
//! cfg.tunables.insert("tcp.rst_storm.window_ns".into(), TunableValue::Int(5_000_000_000));
//! let report = pcap_rca::analyze_path("fixtures/syn-dropped-8081.pcap", &cfg)?;
//! assert_eq!(report.findings[0].severity, Severity::High); // critical by default
//! # Ok::<(), pcap_rca::Error>(())
//! ```
//!
//! # Root causes, consequences, severity
//!
//! Each [`RootCause`] is a finding that no other explains; the findings it explains are its
//! [`Consequence`]s, each with the [`Rule`] that links them (a VIP move explains the SYNs
//! the old holder dropped; a legacy TLS server explains the clients' aborts; a resolver's
//! failing upstream explains its SERVFAILs). Severity has one meaning for every cause, in
//! terms of what the clients in the capture suffered:
//!
//! | [`Severity`] | meaning |
//! |---|---|
//! | critical | a service those clients use is unreachable, or every attempt fails |
//! | high | many attempts fail, or the service is degraded for everyone |
//! | medium | some attempts fail, or a defect that current clients refuse |
//! | low | hygiene, or a problem nobody in the capture suffered from |
//! | info | context |
//!
//! A root cause is as severe as the worst consequence its rule carries (an outage caused by a
//! VIP move is as severe as the outage). `docs/report-contract.md` lists the causes, the rules
//! and the JSON fields.
//!
//! # A newcomer's map
//!
//! Data flows one way through the stages below; a module imports only the modules above it
//! in this list (a test, `tests/layers.rs`, checks it).
//!
//! | stage | module | owns |
//! |---|---|---|
//! | shared | `units`, `config`, `error` | RFC 3339 times and rounding; [`Config`], [`Timeouts`]; [`Error`] |
//! | 1. frames | `capture` | pcap/pcapng/gzip/zstd reading in chunks: `FrameReader`, `Batch`, [`Input`], frame numbers as Wireshark counts them |
//! | 2. packets | `decode` | one frame to a `Packet` (link, IP, TCP/UDP/ICMP, ARP) and the application parsers (DNS, HTTP heads, TLS records); wire numbers are named here |
//! | 3. certificates | `cert` | X.509 as presented (x509-cert), the `TrustStore`, chain walking and signature checks (ring) |
//! | 4. events | `event` | the notable messages kept for the detectors: `ArpEvent`, `IcmpEvent`, `DnsEvent`, `HttpEvent`, `TlsSession` |
//! | 5. flows | `flow` | sharded flow tables with Zeek's TCP state machine and timeouts, stream reassembly for DNS/HTTP/TLS events, the finished record [`Conn`] and folding beyond the record budget |
//! | 6. analysis | `analysis` | the pass over the captures (read, decode in parallel, merge, flows) and what it produced: [`Analysis`] |
//! | 7. detection | `detect` | one file per detector, each declaring its id, causes and tunables; the registry; `Ctx`; the [`Finding`] schema; tunables at run time and the `--config` file |
//! | 8. links | `explain` | capture caveats, and which finding explains which (`Link`, `Rule`) |
//! | 9. ranking | `rank` | one [`RootCause`] per incident, scored and ordered |
//! | 10. report | `report` | [`Report`] assembled from the stages above (with what was checked, area by area); JSON, text, Markdown and HTML renderings, which only render |
//!
//! Everything is deterministic: the flow shards are fixed (not tied to the thread count) and
//! every list that comes out of a stage is sorted canonically, so the report is the same
//! whatever `Config::threads` is.
//!
//! # Memory
//!
//! Memory follows the flows alive at once, not the size of the capture: idle flows expire,
//! the flow table holds at most `Config::max_flows`, finished flows beyond
//! `Config::max_records` are folded into one record per server and outcome, and each kind of
//! event is capped at `Config::max_events`. What was counted but not kept is listed in the
//! report's `summary.limits`.
//!
//! # Features
//!
//! - `internals`: makes the stages' modules public, for the benches and white-box tests.
//!   They carry no stability promise.
//! - `fuzzing`: the fuzz targets' entry points (`fuzzing`); implies `internals`.
//! - `parquet`: `--export` as Parquet, written with polars.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Declares a pipeline stage's module: crate-private, or public with the `internals` feature
/// (benches and white-box tests), where its items are not part of the documented surface.
macro_rules! stage {
    ($name:ident) => {
        #[cfg(feature = "internals")]
        #[allow(missing_docs)]
        pub mod $name;
        #[cfg(not(feature = "internals"))]
        pub(crate) mod $name;
    };
}

mod config;
mod error;
mod units;

stage!(capture);
stage!(decode);
stage!(cert);
stage!(event);
stage!(flow);
stage!(analysis);
stage!(detect);
stage!(explain);
stage!(rank);
stage!(report);

#[cfg(feature = "fuzzing")]
pub mod fuzzing;

use std::path::Path;

pub use analysis::Analysis;
pub use capture::Input;
pub use config::{Config, Progress, Timeouts, TunableValue};
pub use detect::finding::{Evidence, Finding, Layer, MAX_CLIENTS, Server, Severity};
pub use detect::{Tunable, TunableType, TunableUnit};
pub use error::{Error, Result};
pub use explain::Rule;

/// A detector, as `pcap-rca detectors` lists it: its id, the causes it can report and its
/// tunables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectorInfo {
    /// Stable id (`tcp.syn_unanswered`).
    pub id: &'static str,
    /// Causes it can report (words of the report contract).
    pub causes: Vec<&'static str>,
    /// Its tunables, each with its value and meaning.
    pub tunables: &'static [Tunable],
}

/// Every detector, in the order their findings are listed.
pub fn detectors() -> Vec<DetectorInfo> {
    detect::DETECTORS
        .iter()
        .map(|d| DetectorInfo {
            id: d.id,
            causes: d.causes.iter().map(|c| c.name()).collect(),
            tunables: d.tunables,
        })
        .collect()
}
pub use flow::{Conn, Proto};
pub use rank::{Consequence, RootCause};
pub use report::tables::{
    Column, Table, TableFormat, Values, documentation as tables_documentation,
};
pub use report::{CaptureReport, Check, Lang, Report, SCHEMA, Summary, View};

/// The detectors' tunables and the analysis settings as a config file (TOML), the format of
/// `pcap-rca analyze --config FILE`:
///
/// ```toml
/// [tcp.syn_unanswered]        # a detector's id, as `pcap-rca detectors` lists them
/// critical_attempts = 5       # a tunable, by name (any case)
/// end_grace_ns = "2s"         # durations: integer ns, or a string with ns, us, ms, s or min
///
/// [analysis]                  # the limits and flow timeouts of `Config`
/// max_records = 500000
/// tcp_timeout_ns = "10min"
/// ```
///
/// `[analysis]` takes `max_flows`, `max_records`, `max_events`, `tcp_timeout_ns`,
/// `tcp_closed_timeout_ns`, `udp_timeout_ns` and `icmp_timeout_ns`. [`Config::to_toml`]
/// writes every key with its documentation and default.
impl Config {
    /// Reads a config file's text into this config: detector tables into
    /// [`Config::tunables`], `[analysis]` into the limits and timeouts. Every key and value is
    /// checked first, and nothing changes unless all are right; the error is
    /// [`Error::Config`] with one line naming the key and what it takes (type, unit,
    /// default).
    ///
    /// ```
    /// let mut cfg = pcap_rca::Config::default();
    /// cfg.load_toml("[tcp.syn_unanswered]\ncritical_attempts = 5\n")?;
    /// assert_eq!(
    ///     cfg.tunable("tcp.syn_unanswered", "CRITICAL_ATTEMPTS"),
    ///     Some(pcap_rca::TunableValue::Int(5))
    /// );
    /// let err = cfg.load_toml("[tcp.syn_unanswered]\nmin_failed = 5\n").unwrap_err();
    /// assert!(err.to_string().contains("tcp.syn_unanswered.min_failed"));
    /// # Ok::<(), pcap_rca::Error>(())
    /// ```
    pub fn load_toml(&mut self, text: &str) -> Result<()> {
        detect::config_file::load_toml(self, text).map_err(Error::Config)
    }

    /// This config as a config file for [`Config::load_toml`]: every `[analysis]` setting
    /// and every detector's tunables, each with its documentation, type and unit. Values set
    /// differently from the defaults are written as settings; the others are commented out
    /// at their defaults (`#key = value`). Read back, it gives the same settings (what
    /// `pcap-rca detectors --format toml` prints, a template to start a config from).
    pub fn to_toml(&self) -> String {
        detect::config_file::to_toml(self)
    }

    /// Checks [`Config::tunables`]: every key must name a detector's tunable and every value
    /// fit it. The `analyze_*` functions check before they read anything.
    pub fn check_tunables(&self) -> Result<()> {
        detect::tuning::check(self).map_err(Error::Config)
    }

    /// The value in effect for the tunable `name` of the detector `detector` (both in any
    /// case): the one [`Config::tunables`] sets, else its default; `None` when there is no
    /// such tunable.
    pub fn tunable(&self, detector: &str, name: &str) -> Option<TunableValue> {
        detect::tuning::value(self, detector, name)
    }
}

/// Analyses the capture at `path` (pcap or pcapng, plain, `.gz` or `.zst`).
pub fn analyze_path(path: impl AsRef<Path>, cfg: &Config) -> Result<Report> {
    cfg.check_tunables()?;
    let input = Input::Path(path.as_ref().to_path_buf());
    Ok(analysis::analyze(&[input], cfg)?.report())
}

/// Analyses a capture already in memory.
pub fn analyze_bytes(bytes: &[u8], cfg: &Config) -> Result<Report> {
    cfg.check_tunables()?;
    let input = Input::Bytes {
        name: "<memory>".to_string(),
        data: bytes,
    };
    Ok(analysis::analyze(&[input], cfg)?.report())
}

/// Analyses several captures as one incident, their packets merged in timestamp order.
pub fn analyze_inputs(inputs: &[Input<'_>], cfg: &Config) -> Result<Analysis> {
    cfg.check_tunables()?;
    analysis::analyze(inputs, cfg)
}

impl Analysis {
    /// Runs the stages after the pass: detection, links, ranking, and the report.
    pub fn report(&self) -> Report {
        let mut findings = detect::run_all(self);
        explain::capture_caveats(&mut findings);
        let links = explain::link(&findings);
        let root_causes = rank::rank(&findings, &links);
        report::build(self, findings, root_causes)
    }

    /// Every finished flow (one record per connection unless `Config::max_records` folded
    /// some), sorted by first packet time, capture and frame.
    pub fn flows(&self) -> &[Conn] {
        &self.flows
    }

    /// The flows as a text table, one row per connection like Zeek's conn.log.
    pub fn flows_text(&self) -> String {
        report::text::flows(&self.flows, self.captures.len() > 1)
    }

    /// The flows as a JSON array (the fields are documented on [`Conn`]).
    pub fn flows_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.flows).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The analysis and its `report` as tables (`flows`, `findings`, `root_causes`,
    /// `events`), every row naming the capture and its start; `docs/tables.md` documents
    /// the columns.
    pub fn tables(&self, report: &Report) -> Vec<Table> {
        report::tables::tables(self, report)
    }

    /// Writes [`Analysis::tables`] under `dir`, one file per table
    /// (`DIR/TABLE/STEM-START.csv` or `.parquet`, so several captures export side by side),
    /// and returns the files written. Parquet needs the cargo feature `parquet`; without it
    /// the error says how to rebuild.
    pub fn export_tables(
        &self,
        report: &Report,
        dir: &std::path::Path,
        format: TableFormat,
    ) -> Result<Vec<std::path::PathBuf>> {
        report::tables::export(dir, &self.tables(report), format).map_err(Error::Config)
    }

    /// Problems with the capture files themselves (a cut-off file, a corrupt record), as
    /// (file name, warning).
    pub fn warnings(&self) -> impl Iterator<Item = (&str, &str)> {
        self.captures.iter().flat_map(|c| {
            c.meta
                .warnings
                .iter()
                .map(move |w| (c.meta.name.as_str(), w.as_str()))
        })
    }
}
