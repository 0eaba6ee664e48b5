//! `port_scan`: one source probing many ports or hosts. Reported once per scanner, as one
//! aggregated root cause of low severity, and its probes are kept out of the other transport
//! detectors so a scan never buries the real problem.
//!
//! A probe is a connection attempt that carried no payload either way: SYNs left unanswered
//! or refused, half-open SYN scans reset by the scanner, NULL/FIN/Xmas probes.
//! Parameters: [`MIN_TARGETS`], [`MIN_PORTS_OR_HOSTS`].

use std::collections::{BTreeMap, BTreeSet};

use super::*;

/// Distinct (host, port) pairs probed from which a source is a scanner.
pub const MIN_TARGETS: usize = 20;
/// ... and at least this many distinct ports on one host, or hosts on one port.
pub const MIN_PORTS_OR_HOSTS: usize = 10;

fn is_probe(f: &Conn) -> bool {
    f.proto == Proto::Tcp && f.orig_bytes == 0 && f.resp_bytes == 0 && f.orig_pkts <= 4
}

/// Probes per source, for the sources `keep` accepts.
fn targets(an: &Analysis, keep: impl Fn(&IpAddr) -> bool) -> BTreeMap<IpAddr, Vec<&Conn>> {
    let mut m: BTreeMap<IpAddr, Vec<&Conn>> = BTreeMap::new();
    for f in an.flows.iter().filter(|f| keep(&f.orig_ip) && is_probe(f)) {
        m.entry(f.orig_ip).or_default().push(f);
    }
    m
}

fn qualifies(probes: &[&Conn]) -> bool {
    let pairs: BTreeSet<(IpAddr, u16)> = probes.iter().map(|f| (f.resp_ip, f.resp_port)).collect();
    if pairs.len() < MIN_TARGETS {
        return false;
    }
    let mut ports_per_host: BTreeMap<IpAddr, BTreeSet<u16>> = BTreeMap::new();
    let mut hosts_per_port: BTreeMap<u16, BTreeSet<IpAddr>> = BTreeMap::new();
    for (h, p) in &pairs {
        ports_per_host.entry(*h).or_default().insert(*p);
        hosts_per_port.entry(*p).or_default().insert(*h);
    }
    ports_per_host
        .values()
        .any(|s| s.len() >= MIN_PORTS_OR_HOSTS)
        || hosts_per_port
            .values()
            .any(|s| s.len() >= MIN_PORTS_OR_HOSTS)
}

/// Sources that scan: many probed ports or hosts, or an ARP sweep (host discovery, whose
/// TCP probes to a few ports are part of the same scan).
pub fn scanners(an: &Analysis) -> BTreeSet<IpAddr> {
    let mut s: BTreeSet<IpAddr> = targets(an, |_| true)
        .into_iter()
        .filter(|(_, p)| qualifies(p))
        .map(|(ip, _)| ip)
        .collect();
    let mut arp_targets: BTreeMap<std::net::Ipv4Addr, BTreeSet<std::net::Ipv4Addr>> =
        BTreeMap::new();
    for a in an
        .arp
        .iter()
        .filter(|a| a.op == 1 && a.sender_ip != a.target_ip)
    {
        arp_targets
            .entry(a.sender_ip)
            .or_default()
            .insert(a.target_ip);
    }
    s.extend(
        arp_targets
            .into_iter()
            .filter(|(_, t)| t.len() >= super::arp::SWEEP_TARGETS)
            .map(|(ip, _)| IpAddr::V4(ip)),
    );
    s
}

pub fn run(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    // Only the scanners' probes are gathered again (the full pass ran once, in Ctx::new).
    for (src, probes) in targets(ctx.an, |ip| ctx.scanners.contains(ip)) {
        if probes.is_empty() {
            continue;
        }
        let hosts: BTreeSet<IpAddr> = probes.iter().map(|f| f.resp_ip).collect();
        let ports: BTreeSet<u16> = probes.iter().map(|f| f.resp_port).collect();
        let open: BTreeSet<(IpAddr, u16)> = probes
            .iter()
            .filter(|f| handshake_ok(f))
            .map(|f| (f.resp_ip, f.resp_port))
            .collect();
        let first = probes.iter().map(|f| f.first_ts_ns).min().unwrap_or(0);
        let last = probes.iter().map(|f| f.last_ts_ns).max().unwrap_or(0);
        let open_list: Vec<String> = open.iter().take(10).map(|(h, p)| ep(*h, *p)).collect();
        let mut f = finding(
            "port_scan",
            Layer::Transport,
            Severity::Low,
            0.9,
            format!(
                "{src} scans {} and {}",
                plural(hosts.len(), "host"),
                plural(ports.len(), "port")
            ),
            format!(
                "{src} sent {} without payload to {} on {} within {}; {} answered as open{}. \
                 This is a scan (nmap or a vulnerability scanner): noise for a connectivity \
                 problem unless the scanner is unexpected.",
                plural(probes.len(), "probe"),
                plural(hosts.len(), "host"),
                plural(ports.len(), "port"),
                secs(last - first),
                plural(open.len(), "port"),
                if open_list.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", open_list.join(", "))
                }
            ),
            first,
            last,
        );
        f.clients = vec![src.to_string()];
        f.affected_flows = probes.len() as u64;
        for c in probes.iter().take(3) {
            f.evidence.push(ctx.ev(
                c.capture,
                c.first_frame,
                c.first_ts_ns,
                format!("probe to {}", ep(c.resp_ip, c.resp_port)),
            ));
        }
        f.wireshark_filter = format!(
            "{}.src=={src} && tcp.flags.syn==1 && tcp.flags.ack==0",
            ipf(src)
        );
        f.remediation = vec![format!(
            "Identify {src}: an authorised scanner can be ignored; an unexpected one is a security incident."
        )];
        f.group = Some(format!("scan {src}"));
        out.push(f);
    }
    out
}
