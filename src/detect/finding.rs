//! What detectors find: the [`Finding`] schema and the words it is built from ([`Severity`],
//! [`Layer`], [`Evidence`], [`Server`]). The link stage ([`crate::explain`]) relates findings
//! and the ranking ([`crate::rank`]) turns them into root causes; the report shows both.

use serde::Serialize;

/// How bad a root cause is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Context: nothing failed because of it.
    Info,
    /// Hygiene, or a problem nobody in the capture suffered from.
    Low,
    /// Some attempts fail, or a defect that current clients refuse.
    Medium,
    /// Many attempts fail, or the service is degraded for everyone.
    High,
    /// A service the clients use is unreachable, or every attempt fails.
    Critical,
}

impl Severity {
    /// Its name in the report (`info` ... `critical`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses `info`, `low`, `medium`, `high`, `critical` (in any case).
    pub fn parse(s: &str) -> Option<Severity> {
        let s = s.to_ascii_lowercase();
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Every severity, from the mildest.
    const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
}

/// The five layers an engineer checks, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// Addresses, ARP, ICMP, routing, MTU.
    Network,
    /// TCP and UDP: handshakes, resets, retransmissions, windows.
    Transport,
    /// DNS and HTTP.
    Application,
    /// TLS and certificates.
    Security,
    /// The capture itself: truncated, lossy or one-sided.
    Capture,
}

/// One frame that shows a cause, as Wireshark numbers it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// Frame number, 1-based in file order, as Wireshark shows it.
    pub frame: u64,
    /// The frame's time, RFC 3339 UTC with microseconds.
    pub ts: String,
    /// What the frame shows.
    pub note: String,
    /// Which capture the frame is in, when several were analysed together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture: Option<String>,
}

/// The server a cause is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Server {
    /// Its address.
    pub ip: String,
    /// The port, when the cause is about one service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// A name for it seen in the capture (DNS answer, HTTP Host, TLS SNI).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One detector's observation. The link stage (`explain`) relates the findings that
/// describe one problem, and the ranking (`rank`) makes each cause with the findings
/// it explains one [`crate::rank::RootCause`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable id, `detector#n` (n counts that detector's findings in report order).
    pub id: String,
    /// Detector that produced it (`area.name`).
    pub detector: String,
    /// The cause, from the report contract's vocabulary (`tcp_syn_unanswered`).
    pub cause: String,
    /// The layer the cause belongs to.
    pub layer: Layer,
    /// How bad it is for the clients in the capture.
    pub severity: Severity,
    /// How sure the detector is, 0 to 1 (two decimals).
    pub confidence: f64,
    /// One line: what is wrong, where.
    pub title: String,
    /// Why the detector concluded it, with the numbers.
    pub explanation: String,
    /// The server or host it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<Server>,
    /// The clients affected (addresses, sorted; at most [`crate::MAX_CLIENTS`]).
    pub clients: Vec<String>,
    /// How many clients there are when `clients` is not all of them: more than
    /// [`crate::MAX_CLIENTS`] (the list keeps the first in sorted order), or sources of folded flows
    /// (see `flow::fold`), whose count is then an estimate within about 2%.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clients_total: Option<u64>,
    /// Connections (flows) affected.
    pub affected_flows: u64,
    /// First and last time the problem shows, RFC 3339 UTC.
    pub first_ts: String,
    /// See `first_ts`.
    pub last_ts: String,
    /// Frames that show it.
    pub evidence: Vec<Evidence>,
    /// A Wireshark display filter that shows the evidence.
    pub wireshark_filter: String,
    /// What to do, most useful first.
    pub remediation: Vec<String>,
    /// Findings with the same group describe one problem (e.g. `svc tcp 10.0.0.5:8081`).
    #[serde(skip)]
    pub(crate) group: Option<String>,
    /// The finding rests on something *not* seen (no reply, no ACK): a one-sided or lossy
    /// capture makes it less certain.
    #[serde(skip)]
    pub(crate) from_absence: bool,
    /// Finer order among findings of a group: the higher, the more it explains.
    #[serde(skip)]
    pub(crate) weight: u8,
    /// Typed facts the link stage matches findings on.
    #[serde(skip)]
    pub(crate) facts: Facts,
    #[serde(skip)]
    pub(crate) first_ts_ns: i64,
    #[serde(skip)]
    pub(crate) last_ts_ns: i64,
}

/// What the link stage ([`crate::explain`]) reads of a finding besides its cause, server,
/// clients and times: the few facts its rules match on, typed, so no rule parses a title.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The finding is a symptom (a failure clients saw: an alert, a reset, a timeout) rather
    /// than a defect (a server's configuration, a path's behaviour). Set from the cause
    /// ([`Cause::symptom`]); a detector may set it for a finding whose cause names the defect
    /// but whose evidence is the symptom (a client's `certificate_expired` alert).
    pub symptom: bool,
    /// The fatal TLS alert the finding reports.
    pub alert: Option<AlertFact>,
    /// The host a client-side finding is about (the sender of an ARP storm, the client that
    /// fails to reach many peers, a resolver whose upstream fails).
    pub host: Option<std::net::IpAddr>,
    /// When the change the finding reports happened (ns since the epoch): the gratuitous ARP
    /// that moved an address.
    pub at_ns: Option<i64>,
}

/// A fatal TLS alert, as the link stage matches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertFact {
    /// The alert description (RFC 8446 §6: 40 handshake_failure, 80 internal_error ...).
    pub description: u8,
    /// The server sent it (else the client).
    pub by_server: bool,
}

/// Most clients listed by name in a finding or root cause.
pub const MAX_CLIENTS: usize = 256;

/// Keeps at most [`crate::MAX_CLIENTS`] of `clients` (sorted), saying how many there were.
pub fn cap_clients(clients: &mut Vec<String>, total: &mut Option<u64>) {
    if clients.len() > MAX_CLIENTS {
        *total = Some(total.unwrap_or(0).max(clients.len() as u64));
        clients.sort();
        clients.truncate(MAX_CLIENTS);
    }
}

/// A cause a detector can report: its stable name in the JSON contract (`tcp_syn_unanswered`).
/// Each detector declares the causes it reports as constants at the top of its file; nothing
/// else spells the names.
///
/// A cause is a *defect* (something wrong with a server, a path or a host: an expired
/// certificate, an address that moved) or a *symptom* (how a failure shows to clients: an
/// unanswered SYN, a reset, a timeout, an error status). The link stage lets defects explain
/// symptoms, never the reverse, and keeps distinct defects apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cause(&'static str, bool);

impl Cause {
    /// A defect named `name` (lower snake case, stable once published).
    pub const fn new(name: &'static str) -> Cause {
        Cause(name, false)
    }

    /// A symptom named `name`.
    pub const fn symptom(name: &'static str) -> Cause {
        Cause(name, true)
    }

    /// Its name in the report.
    pub const fn name(self) -> &'static str {
        self.0
    }

    /// Whether it is a symptom (see the type's documentation).
    pub const fn is_symptom(self) -> bool {
        self.1
    }
}

impl PartialEq<Cause> for String {
    fn eq(&self, c: &Cause) -> bool {
        self == c.0
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl From<Cause> for String {
    fn from(c: Cause) -> String {
        c.0.to_string()
    }
}

impl Finding {
    /// The finding with its one-line title and its explanation.
    pub(crate) fn titled(mut self, title: String, explanation: String) -> Finding {
        self.title = title;
        self.explanation = explanation;
        self
    }

    /// The finding with the time of the first and last packet that show it (ns since the
    /// epoch).
    pub(crate) fn between(mut self, first_ts_ns: i64, last_ts_ns: i64) -> Finding {
        self.first_ts = crate::units::rfc3339(first_ts_ns);
        self.last_ts = crate::units::rfc3339(last_ts_ns);
        self.first_ts_ns = first_ts_ns;
        self.last_ts_ns = last_ts_ns;
        self
    }
}
