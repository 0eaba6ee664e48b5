//! The report: the JSON contract (`pcap-rca.report/1`), assembled by [`build`] from what the
//! earlier stages computed, and its renderings (JSON here, text in [`text`]), which only
//! render.
//!
//! # JSON fields (stable: fields and cause names are added, never renamed or removed)
//!
//! - `schema`: always `"pcap-rca.report/1"`.
//! - `captures[]`: one per input file, in the order given: `file`, `format` (`pcap` or
//!   `pcapng`), `compression` (`none`, `gzip`, `zstd`), `link_types` (capinfos names, e.g.
//!   `ETHERNET`, `LINUX_SLL2`), `packets` (equals `capinfos -c`), `bytes` (container bytes
//!   after decompression), `first_ts`/`last_ts` (RFC 3339 UTC, microseconds; `null` without
//!   packets), `decoded_packets`, `truncated_packets` (cut by the snaplen or shorter than
//!   their headers), `undecoded_packets` (unknown link type or malformed), `warnings`
//!   (container problems: cut-off file, corrupt record).
//! - `summary`: `flows`, `tcp_flows`, `udp_flows`, `icmp_flows`, `packets`, `verdict`
//!   (`healthy` when no root cause is `medium` or above, else `problems_found`).
//! - `root_causes[]`: ranked [`RootCause`]s; `findings[]`: the detectors' [`Finding`]s.
//!
//! Timestamps are RFC 3339 UTC with microseconds, truncated like Wireshark's display.
//! Frame numbers are 1-based in file order, as Wireshark shows them.

pub mod checks;
pub mod escape;
pub mod html;
pub mod markdown;
pub mod tables;
pub mod text;
pub mod view;
pub mod zh;

pub use checks::Check;
pub use view::{Lang, View};

use serde::Serialize;

use crate::analysis::Analysis;
use crate::capture::Compression;
use crate::decode::link_type_name;
use crate::detect::finding::{Finding, Severity};
use crate::rank::RootCause;
use crate::units::rfc3339;
use crate::flow::Proto;

/// Schema identifier of the JSON report.
pub const SCHEMA: &str = "pcap-rca.report/1";

/// One analysed capture file.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureReport {
    /// The file's name as given (or `-`, or `<memory>`).
    pub file: String,
    /// `pcap` or `pcapng`.
    pub format: String,
    /// `none`, `gzip` or `zstd`.
    pub compression: String,
    /// Link types by capinfos name (`ETHERNET`, `LINUX_SLL2`...).
    pub link_types: Vec<String>,
    /// Packet records (equals `capinfos -c`).
    pub packets: u64,
    /// Container bytes after decompression.
    pub bytes: u64,
    /// First packet's time, RFC 3339 UTC (`null` without packets).
    pub first_ts: Option<String>,
    /// Last packet's time, RFC 3339 UTC.
    pub last_ts: Option<String>,
    /// Packets decoded.
    pub decoded_packets: u64,
    /// Packets cut by the snaplen or shorter than their headers.
    pub truncated_packets: u64,
    /// Packets of an unknown link type, or malformed.
    pub undecoded_packets: u64,
    /// Container problems (a cut-off file, a corrupt record).
    pub warnings: Vec<String>,
}

/// Totals and the verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Flows, folded ones included.
    pub flows: u64,
    /// TCP flows.
    pub tcp_flows: u64,
    /// UDP flows.
    pub udp_flows: u64,
    /// ICMP flows.
    pub icmp_flows: u64,
    /// Packets over all captures.
    pub packets: u64,
    /// `healthy` when no root cause is `medium` or above, else `problems_found`.
    pub verdict: String,
    /// What the analysis counted but did not keep because of its memory limits (events
    /// beyond `max_events`, flows finished early beyond `max_flows`, flows folded beyond
    /// `max_records`); empty normally.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub limits: Vec<String>,
    /// What was looked at, area by area (ARP, ICMP, TCP, DNS, HTTP, TLS), and whether a root
    /// cause at `medium` or above is about it: the "ruled out" section of the reports.
    pub checks: Vec<Check>,
}

/// The whole report: the JSON contract `pcap-rca.report/1` as Rust types. What follows is
/// `docs/report-contract.md`, the contract's vocabulary and its newer fields.
///
#[doc = include_str!("../../docs/report-contract.md")]
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always [`SCHEMA`] (`pcap-rca.report/1`).
    pub schema: &'static str,
    /// One per input file, in the order given.
    pub captures: Vec<CaptureReport>,
    /// Totals and the verdict.
    pub summary: Summary,
    /// Ranked root causes, the most important first.
    pub root_causes: Vec<RootCause>,
    /// The detectors' findings the root causes are built from.
    pub findings: Vec<Finding>,
    /// TCP connections that failed (no answer, refused, reset), the first 1000
    /// in time order: the HTML report's table. Not part of the JSON contract (`pcap-rca
    /// flows` lists every connection).
    #[serde(skip)]
    pub failed_flows: Vec<FailedFlow>,
}

/// Most failed connections kept in [`Report::failed_flows`].
pub const MAX_FAILED_FLOWS: usize = 1000;

/// A TCP connection that failed.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedFlow {
    /// When it started, RFC 3339 UTC.
    pub ts: String,
    /// Client `ip:port`.
    pub client: String,
    /// Server `ip:port`.
    pub server: String,
    /// `no answer`, `refused`, `reset` or `abandoned`.
    pub outcome: &'static str,
    /// Zeek's conn_state.
    pub state: &'static str,
    /// Zeek's history.
    pub history: String,
    /// Its first frame (Wireshark numbering) and capture index.
    pub frame: u64,
    /// Which capture (index into `captures`).
    pub capture: u16,
}

/// The failed TCP connections of `an`, in time order (folded records are not listed).
fn failed_flows(an: &Analysis) -> Vec<FailedFlow> {
    use crate::flow::tcp::ConnState;
    an.flows
        .iter()
        .filter(|f| f.proto == Proto::Tcp && f.fold.is_none())
        .filter_map(|f| {
            let outcome = match f.conn_state {
                ConnState::S0 if f.resp_pkts == 0 => "no answer",
                ConnState::Rej => "refused",
                ConnState::Rsto | ConnState::Rstr => "reset",
                ConnState::Rstos0 | ConnState::Sh => "abandoned",
                _ => return None,
            };
            Some(FailedFlow {
                ts: rfc3339(f.first_ts_ns),
                client: crate::detect::ep(f.orig_ip, f.orig_port),
                server: crate::detect::ep(f.resp_ip, f.resp_port),
                outcome,
                state: f.conn_state.as_str(),
                history: f.history.as_str().to_string(),
                frame: f.first_frame,
                capture: f.capture,
            })
        })
        .take(MAX_FAILED_FLOWS)
        .collect()
}

impl Report {
    /// Pretty JSON, with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The plain-text rendering (100 columns, no colour, every root cause).
    pub fn to_text(&self) -> String {
        text::report(self, &View::default())
    }

    /// The plain-text rendering of what `view` selects.
    pub fn to_text_view(&self, view: &View) -> String {
        text::report(self, view)
    }

    /// The Markdown rendering of what `view` selects, ready to paste into a ticket.
    pub fn to_markdown(&self, view: &View) -> String {
        markdown::report(self, view)
    }

    /// One self-contained HTML page (no external resource; scripts allowed only by hash)
    /// with the verdict, a timeline of the top root causes, the root causes `view` selects,
    /// what was checked, and a sortable table of the failed connections.
    pub fn to_html(&self, view: &View) -> String {
        html::report(self, view)
    }

    /// Highest severity among the root causes.
    pub fn max_severity(&self) -> Option<Severity> {
        self.root_causes.iter().map(|r| r.severity).max()
    }
}

/// Builds the report contract from the analysis, its findings and their ranked root causes.
/// Everything the report says was computed by the earlier stages; this only assembles it.
pub fn build(an: &Analysis, findings: Vec<Finding>, root_causes: Vec<RootCause>) -> Report {
    let captures = an
        .captures
        .iter()
        .map(|c| CaptureReport {
            file: c.meta.name.clone(),
            format: c.meta.format.map(|f| f.to_string()).unwrap_or_default(),
            compression: match c.meta.compression {
                Some(Compression::Gzip) => "gzip",
                Some(Compression::Zstd) => "zstd",
                _ => "none",
            }
            .to_string(),
            link_types: c
                .meta
                .link_types
                .iter()
                .map(|&l| link_type_name(l))
                .collect(),
            packets: c.meta.packets,
            bytes: c.meta.bytes,
            first_ts: c.first_ts_ns.map(rfc3339),
            last_ts: c.last_ts_ns.map(rfc3339),
            decoded_packets: c.decoded_packets,
            truncated_packets: c.truncated_packets,
            undecoded_packets: c.undecoded_packets,
            warnings: c.meta.warnings.clone(),
        })
        .collect();
    let verdict = if root_causes.iter().any(|r| r.severity >= Severity::Medium) {
        "problems_found"
    } else {
        "healthy"
    };
    // The TCP check counts the flows' outcomes in the same pass as the flows are counted.
    let mut tcp = checks::TcpTally::default();
    let [flows, tcp_flows, udp_flows, icmp_flows] =
        an.flow_counts_with(|f| tcp.add(f)).map(|n| n as u64);
    Report {
        schema: SCHEMA,
        captures,
        summary: Summary {
            flows,
            tcp_flows,
            udp_flows,
            icmp_flows,
            packets: an.counters.packets,
            verdict: verdict.to_string(),
            limits: limits(an),
            checks: checks::checks(an, &tcp, &root_causes),
        },
        root_causes,
        findings,
        failed_flows: failed_flows(an),
    }
}

/// The verdict in one sentence: the top root cause and where, or that nothing is wrong.
pub fn headline(r: &Report) -> String {
    let Some(top) = r.root_causes.first() else {
        return format!(
            "healthy: no problem found in {} packets.",
            r.summary.packets
        );
    };
    let more = match r.root_causes.len() - 1 {
        0 => String::new(),
        1 => "; 1 more root cause below".to_string(),
        n => format!("; {n} more root causes below"),
    };
    if r.summary.verdict == "healthy" {
        return format!(
            "healthy: nothing at medium severity or above. Minor: {} ({}, {}){more}.",
            top.title,
            top.cause,
            top.severity.as_str()
        );
    }
    format!(
        "{} ({}, {}, {:.0}% sure){more}.",
        top.title,
        top.cause,
        top.severity.as_str(),
        top.confidence * 100.0
    )
}

/// What was counted but not kept, in words.
fn limits(an: &Analysis) -> Vec<String> {
    let mut out = Vec::new();
    if an.counters.events_dropped > 0 {
        out.push(format!(
            "{} DNS/HTTP/TLS/ARP/ICMP events beyond the limit per kind were counted but not kept for the detectors: causes built on them may be undercounted (raise Config::max_events)",
            an.counters.events_dropped
        ));
    }
    if an.counters.flows_evicted > 0 {
        out.push(format!(
            "{} flows were finished early because more flows were alive at once than the flow table holds: a flow that continued afterwards appears as two (raise Config::max_flows)",
            an.counters.flows_evicted
        ));
    }
    if an.counters.flows_folded > 0 {
        out.push(format!(
            "{} finished flows beyond the record budget were folded into {} records, one per server and outcome: they are counted in full, but checks of single flows saw only their group's first flow (raise Config::max_records)",
            an.counters.flows_folded, an.counters.fold_groups
        ));
    }
    let d = an.counters.defrag;
    if d.incomplete + d.dropped + d.invalid + d.overlapping > 0 {
        out.push(format!(
            "IP fragments: {} datagrams reassembled; {} abandoned incomplete (30 s after their first fragment, or at the end of the capture), {} fragments dropped beyond the reassembly limits (4096 datagrams, 16 MiB), {} fragments that did not fit their datagram, {} datagrams with overlapping fragments (later bytes kept): messages in the lost datagrams are not seen",
            d.reassembled, d.incomplete, d.dropped, d.invalid, d.overlapping
        ));
    }
    if an.counters.http_lenient + an.counters.http_unreadable > 0 {
        out.push(format!(
            "HTTP: {} message heads were malformed (a control character, a space in a URI, a bare LF) and read leniently, as Wireshark does; {} HTTP streams could not be read any further and their later exchanges are not seen",
            an.counters.http_lenient, an.counters.http_unreadable
        ));
    }
    if an.counters.flows_scattered > 0 {
        out.push(format!(
            "{} of them went to more servers than the flow tables keep groups for, and were folded per source: only the flow counts and port_scan see them",
            an.counters.flows_scattered
        ));
    }
    out
}


