//! What was looked at and how it went, area by area, in the order an engineer checks
//! (network, transport, application, security): the report's "ruled out" section. An area
//! with no root cause at `medium` or above is ruled out; its line says what was seen, so the
//! reader knows what not to chase ("DNS: 96 lookups, all answered, slowest 4 ms").

use std::collections::BTreeSet;

use serde::Serialize;

use crate::analysis::Analysis;
use crate::decode::arp::{REPLY, REQUEST};
use crate::detect::plural;
use crate::detect::finding::{Layer, Severity};
use crate::flow::{Conn, Proto};
use crate::flow::tcp::ConnState;
use crate::rank::RootCause;

/// One area's check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// The layer it belongs to.
    pub layer: Layer,
    /// `arp`, `icmp`, `tcp`, `dns`, `http` or `tls`.
    pub area: &'static str,
    /// Things looked at: ARP requests, ICMP errors, TCP connections, DNS lookups, HTTP
    /// requests, TLS handshakes.
    pub seen: u64,
    /// Of those, how many failed (unanswered, refused, error answers, failed handshakes).
    pub failed: u64,
    /// No root cause at `medium` or above is about this area.
    pub healthy: bool,
    /// One line, as the text report prints it.
    pub summary: String,
}

/// The area a cause belongs to.
pub fn area_of(cause: &str) -> &'static str {
    let prefix = cause.split('_').next().unwrap_or("");
    match prefix {
        "arp" | "ip" => "arp",
        "icmp" | "pmtu" => "icmp",
        "tcp" | "rst" | "syn" | "port" => "tcp",
        "dns" => "dns",
        "http" => "http",
        "tls" => "tls",
        _ => "capture",
    }
}

/// Every area's check.
pub fn checks(an: &Analysis, tcp_flows: &TcpTally, causes: &[RootCause]) -> Vec<Check> {
    // An area is in trouble when a serious root cause, or one of its consequences, is
    // about it (the SYNs a VIP move dropped put TCP in question too).
    let troubled: BTreeSet<&str> = causes
        .iter()
        .filter(|c| c.severity >= Severity::Medium)
        .flat_map(|c| {
            std::iter::once(c.cause.as_str()).chain(c.consequences.iter().map(|x| x.cause.as_str()))
        })
        .map(area_of)
        .collect();
    let mut out = vec![arp(an), icmp(an), tcp(tcp_flows), dns(an), http(an), tls(an)];
    for c in &mut out {
        c.healthy = !troubled.contains(c.area);
    }
    out
}

fn check(layer: Layer, area: &'static str, seen: usize, failed: usize, summary: String) -> Check {
    Check {
        layer,
        area,
        seen: seen as u64,
        failed: failed as u64,
        healthy: true,
        summary,
    }
}

/// "all answered", "2 of 12 failed" and the like.
fn outcome(seen: usize, failed: usize, what_failed: &str) -> String {
    match (seen, failed) {
        (0, _) => String::new(),
        (_, 0) => "all answered".into(),
        (s, f) if s == f => "none answered".to_string(),
        (s, f) => format!("{f} of {s} {what_failed}"),
    }
}

fn arp(an: &Analysis) -> Check {
    let answered: BTreeSet<_> = an
        .arp
        .iter()
        .filter(|a| a.op == REPLY)
        .map(|a| a.sender_ip)
        .collect();
    let asked: BTreeSet<_> = an
        .arp
        .iter()
        .filter(|a| a.op == REQUEST && a.sender_ip != a.target_ip)
        .map(|a| a.target_ip)
        .collect();
    let mut failed = asked.iter().filter(|t| !answered.contains(t)).count();
    let mut seen = asked.len();
    // IPv6 Neighbor Discovery asks the same question.
    let advertised: BTreeSet<_> = an.ndp.iter().filter(|e| !e.solicitation).map(|e| e.target).collect();
    let solicited: BTreeSet<_> = an
        .ndp
        .iter()
        .filter(|e| e.solicitation && !e.src.is_unspecified())
        .map(|e| e.target)
        .collect();
    seen += solicited.len();
    failed += solicited.iter().filter(|t| !advertised.contains(t)).count();
    let what = if solicited.is_empty() { "ARP" } else { "ARP/NDP" };
    let summary = if seen == 0 {
        "ARP: no requests seen".into()
    } else {
        format!(
            "{what}: requests for {}, {}",
            plural(seen, "address"),
            outcome(seen, failed, "never answered")
        )
    };
    check(Layer::Network, "arp", seen, failed, summary)
}

fn icmp(an: &Analysis) -> Check {
    let errors = an.icmp_errors.len();
    let summary = if errors == 0 {
        "ICMP: no error messages".into()
    } else {
        format!("ICMP: {errors} error messages (unreachable, time exceeded, too big)")
    };
    check(Layer::Network, "icmp", errors, errors, summary)
}

/// The TCP connections' outcomes, counted flow by flow ([`TcpTally::add`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct TcpTally {
    seen: u64,
    established: u64,
    refused: u64,
    silent: u64,
}

impl TcpTally {
    /// Counts `f` if it is a TCP connection.
    pub fn add(&mut self, f: &Conn) {
        if f.proto != Proto::Tcp {
            return;
        }
        let n = f.weight();
        self.seen += n;
        match f.conn_state {
            ConnState::Rej => self.refused += n,
            ConnState::S0 if f.resp_pkts == 0 => self.silent += n,
            ConnState::Oth => {}
            _ if f.synack_frame.is_some() || f.history.as_str().contains('h') => {
                self.established += n
            }
            _ => {}
        }
    }
}

fn tcp(t: &TcpTally) -> Check {
    let TcpTally {
        seen,
        established,
        refused,
        silent,
    } = *t;
    let summary = if seen == 0 {
        "TCP: no connections".into()
    } else {
        format!(
            "TCP: {}, {established} established, {silent} unanswered, {refused} refused",
            plural(seen as usize, "connection")
        )
    };
    check(
        Layer::Transport,
        "tcp",
        seen as usize,
        (silent + refused) as usize,
        summary,
    )
}

fn dns(an: &Analysis) -> Check {
    // Counted as the queries were paired with their answers.
    let pairs = an.dns_pairs();
    let txns = &pairs.txns;
    let (answered, slowest, errors, nx) = (pairs.answered, pairs.slowest_ns, pairs.errors, pairs.nxdomain);
    let lost = txns.len() - answered;
    let summary = if txns.is_empty() {
        "DNS: no lookups".into()
    } else {
        let mut s = format!("DNS: {}, ", plural(txns.len(), "lookup"));
        if lost == 0 {
            s.push_str("all answered");
        } else {
            s.push_str(&format!("{lost} unanswered"));
        }
        if errors + nx > 0 {
            s.push_str(&format!(", {errors} errors, {nx} NXDOMAIN"));
        }
        if let Some(max) = slowest {
            s.push_str(&format!(", slowest {}", crate::detect::secs(max)));
        }
        s
    };
    check(
        Layer::Application,
        "dns",
        txns.len(),
        lost + errors,
        summary,
    )
}

fn http(an: &Analysis) -> Check {
    let seen = an.http.len();
    let errors = an
        .http
        .iter()
        .filter(|e| e.status.is_some_and(|s| s >= 500))
        .count();
    let unanswered = an.http.iter().filter(|e| e.status.is_none()).count();
    let slowest = an
        .http
        .iter()
        .filter_map(|e| e.resp_ts_ns.map(|r| r.saturating_sub(e.req_ts_ns)))
        .max();
    let summary = if seen == 0 {
        "HTTP: no plaintext requests".into()
    } else {
        let mut s = format!("HTTP: {}, ", plural(seen, "request"));
        s.push_str(&match (unanswered, errors) {
            (0, 0) => "all answered without a server error".to_string(),
            (u, e) => format!("{u} unanswered, {e} server errors"),
        });
        if let Some(max) = slowest {
            s.push_str(&format!(", slowest {}", crate::detect::secs(max)));
        }
        s
    };
    check(
        Layer::Application,
        "http",
        seen,
        unanswered + errors,
        summary,
    )
}

fn tls(an: &Analysis) -> Check {
    let seen = an.tls.len();
    let failed = an
        .tls
        .iter()
        .filter(|s| {
            s.alerts
                .iter()
                .any(|a| a.level == crate::decode::tls::alert::FATAL)
                || s.client_encrypted == 0
                || s.server_encrypted == 0
        })
        .count();
    let servers = crate::detect::distinct(an.tls.iter().map(|s| (s.server, s.server_port)));
    let summary = if seen == 0 {
        "TLS: no handshakes".into()
    } else {
        format!(
            "TLS: {} with {}, {}",
            plural(seen, "handshake"),
            plural(servers.len(), "server"),
            match failed {
                0 => "all completed".to_string(),
                f if f == seen => "all failed".to_string(),
                f => format!("{f} failed"),
            }
        )
    };
    check(Layer::Security, "tls", seen, failed, summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_prefix_maps_to_its_area() {
        assert_eq!(area_of("arp_vip_move"), "arp");
        assert_eq!(area_of("ip_conflict"), "arp");
        assert_eq!(area_of("pmtu_blackhole"), "icmp");
        assert_eq!(area_of("rst_storm"), "tcp");
        assert_eq!(area_of("port_scan"), "tcp");
        assert_eq!(area_of("dns_upstream_failure"), "dns");
        assert_eq!(area_of("tls_weak_key"), "tls");
        assert_eq!(area_of("capture_loss"), "capture");
    }
}
