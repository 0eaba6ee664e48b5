//! Builders shared by the detectors' unit tests: analyses of hand-built flow and ARP records.

use std::net::Ipv4Addr;

pub(crate) use crate::flow::testing::{conn, ip};
use crate::analysis::{Analysis, CaptureStats};
use crate::event::ArpEvent;
use crate::flow::Conn;

/// An analysis of `flows` and `arp` in one capture that ends a minute after the last flow.
pub(crate) fn analysis(flows: Vec<Conn>, arp: Vec<ArpEvent>) -> Analysis {
    let mut a = Analysis::default();
    let c = CaptureStats {
        first_ts_ns: flows.iter().map(|f| f.first_ts_ns).min(),
        last_ts_ns: Some(flows.iter().map(|f| f.last_ts_ns).max().unwrap_or(0) + 60_000_000_000),
        ..CaptureStats::default()
    };
    a.captures.push(c);
    a.flows = flows;
    a.arp = arp;
    a
}

/// `a` with the tunables `set` overridden, as `Config::tunables` would (keys
/// `DETECTOR.TUNABLE`); they must be right.
pub(crate) fn tuned(mut a: Analysis, set: &[(&str, crate::config::TunableValue)]) -> Analysis {
    a.tunables = set.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    super::tuning::Overrides::resolve(&a.tunables).expect("right tunables");
    a
}

/// The causes every detector finds in `a`, in report order.
pub(crate) fn causes(a: &Analysis) -> Vec<String> {
    super::run_all(a).into_iter().map(|f| f.cause).collect()
}

/// An ARP packet: operation `op` from MAC `02:00:00:00:00:mac`, sender and target addresses,
/// at `t_ms` ms.
pub(crate) fn arp(op: u16, mac: u8, sip: [u8; 4], tip: [u8; 4], t_ms: i64) -> ArpEvent {
    ArpEvent {
        capture: 0,
        frame: t_ms as u64 + 1,
        ts_ns: t_ms * 1_000_000,
        op,
        sender_mac: [2, 0, 0, 0, 0, mac],
        sender_ip: Ipv4Addr::from(sip),
        target_mac: [0; 6],
        target_ip: Ipv4Addr::from(tip),
        eth_src: None,
        eth_dst: None,
        vlan: None,
    }
}

/// A finding for the link stage's and the ranking's tests: `cause` at `severity`, 0.9 sure,
/// in `group`, about `ip:port` (no port when 0), over the first second, with id `cause#1`.
pub(crate) fn linkable(
    cause: super::Cause,
    severity: super::Severity,
    group: &str,
    ip: &str,
    port: u16,
) -> super::Finding {
    let mut x = super::finding(cause, super::Layer::Transport, severity, 0.9)
        .titled(cause.to_string(), String::new())
        .between(0, 1_000_000_000);
    x.group = Some(group.into());
    x.server = Some(super::Server {
        ip: ip.into(),
        port: (port != 0).then_some(port),
        name: None,
    });
    x.id = format!("{cause}#1");
    x
}
