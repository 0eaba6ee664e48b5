//! Builders of flow records for unit tests (here and in the detectors).

use std::net::{IpAddr, Ipv4Addr};

use super::tcp::{ConnState, History};
use super::{Conn, Proto};

/// The address `10.9.a.b`.
pub(crate) fn ip(a: u8, b: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 9, a, b))
}

/// A TCP history from its letters (`ShAdaF`).
pub(crate) fn hist(s: &str) -> History {
    let mut h = History::default();
    for c in s.bytes() {
        h.push(c);
    }
    h
}

/// A TCP flow record as the flow table would finish it.
pub(crate) fn conn(
    orig: IpAddr,
    oport: u16,
    resp: IpAddr,
    rport: u16,
    state: ConnState,
    h: &str,
    t_ms: i64,
) -> Conn {
    let handshake = h.contains('h');
    Conn {
        first_ts_ns: t_ms * 1_000_000,
        last_ts_ns: t_ms * 1_000_000 + 1_000,
        capture: 0,
        first_frame: t_ms as u64 + 1,
        last_frame: t_ms as u64 + 2,
        proto: Proto::Tcp,
        orig_ip: orig,
        orig_port: oport,
        resp_ip: resp,
        resp_port: rport,
        duration_s: 0.0,
        orig_pkts: 1,
        orig_bytes: 0,
        orig_ip_bytes: 40,
        orig_wire_bytes: 54,
        resp_pkts: u64::from(handshake || state == ConnState::Rej),
        resp_bytes: 0,
        resp_ip_bytes: 0,
        resp_wire_bytes: 0,
        conn_state: state,
        history: hist(h),
        missed_bytes: 0,
        orig_retransmissions: 0,
        resp_retransmissions: 0,
        orig_zero_windows: 0,
        resp_zero_windows: 0,
        duplicates: 0,
        orig_max_rtx_len: 0,
        resp_max_rtx_len: 0,
        orig_unacked_bytes: 0,
        resp_unacked_bytes: 0,
        rtx_frame: None,
        zero_window_frame: None,
        gap_frame: None,
        vlan: None,
        syn_frame: Some(t_ms as u64 + 1),
        synack_frame: handshake.then_some(t_ms as u64 + 2),
        rst_frame: state.as_str().starts_with('R').then_some(t_ms as u64 + 2),
        rst_by: None,
        orig_ttl: Some(64),
        resp_ttl: handshake.then_some(64),
        rst_ttl: None,
        fold: None,
    }
}
