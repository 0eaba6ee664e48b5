//! Plain-text renderings: the report (80 columns) and the flow table.

use std::fmt::Write;

use crate::flow::Conn;

use super::Report;

/// Renders the report for a terminal 80 columns wide.
pub fn report(r: &Report) -> String {
    let mut o = String::new();
    let packets: u64 = r.captures.iter().map(|c| c.packets).sum();
    let _ = writeln!(
        o,
        "pcap-rca: {} capture{}, {} packets, {} flows ({} TCP, {} UDP, {} ICMP)",
        r.captures.len(),
        if r.captures.len() == 1 { "" } else { "s" },
        packets,
        r.summary.flows,
        r.summary.tcp_flows,
        r.summary.udp_flows,
        r.summary.icmp_flows
    );
    let verdict = match r.summary.verdict.as_str() {
        "healthy" => "healthy: no root cause at medium severity or above",
        _ => "problems found",
    };
    let _ = writeln!(o, "Verdict: {verdict}");
    for l in &r.summary.limits {
        for (i, line) in wrap(l, 72).iter().enumerate() {
            let _ = writeln!(o, "{}{line}", if i == 0 { "Limit: " } else { "       " });
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "Captures");
    for c in &r.captures {
        let _ = writeln!(o, "  {}", c.file);
        let comp = if c.compression == "none" {
            String::new()
        } else {
            format!(" ({})", c.compression)
        };
        let _ = writeln!(
            o,
            "    {}{comp}, {}, {} packets, {} bytes",
            c.format,
            c.link_types.join("+"),
            c.packets,
            c.bytes
        );
        if let (Some(a), Some(b)) = (&c.first_ts, &c.last_ts) {
            let _ = writeln!(o, "    {a} .. {b}");
        }
        if c.truncated_packets + c.undecoded_packets > 0 {
            let _ = writeln!(
                o,
                "    {} decoded, {} truncated, {} undecodable",
                c.decoded_packets, c.truncated_packets, c.undecoded_packets
            );
        }
        for w in &c.warnings {
            for (i, line) in wrap(w, 72).iter().enumerate() {
                let _ = writeln!(o, "    {}{line}", if i == 0 { "! " } else { "  " });
            }
        }
    }
    let _ = writeln!(o);
    if r.root_causes.is_empty() {
        let _ = writeln!(o, "Root causes: none found.");
    } else {
        let _ = writeln!(o, "Root causes");
        for rc in &r.root_causes {
            let _ = writeln!(
                o,
                "{:>3}. [{}] {} ({:.0}% sure)",
                rc.rank,
                rc.severity.as_str(),
                rc.cause,
                rc.confidence * 100.0
            );
            for line in wrap(&rc.title, 74) {
                let _ = writeln!(o, "     {line}");
            }
            for line in wrap(&rc.explanation, 74) {
                let _ = writeln!(o, "     {line}");
            }
            if !rc.consequences.is_empty() {
                let _ = writeln!(o, "     Consequences:");
                for c in &rc.consequences {
                    let frames = if c.frames.is_empty() {
                        String::new()
                    } else {
                        let shown: Vec<String> =
                            c.frames.iter().take(6).map(|f| f.to_string()).collect();
                        let more = if c.frames.len() > 6 { ", ..." } else { "" };
                        format!(" (frames {}{more})", shown.join(", "))
                    };
                    let text = format!("{}{frames}", c.note);
                    for (i, line) in wrap(&text, 70).iter().enumerate() {
                        let _ = writeln!(o, "     {}{line}", if i == 0 { "- " } else { "  " });
                    }
                }
            }
            for e in rc.evidence.iter().take(5) {
                let frame = match &e.capture {
                    Some(c) => format!("{c}:{}", e.frame),
                    None => e.frame.to_string(),
                };
                for (i, line) in wrap(&e.note, 58).iter().enumerate() {
                    if i == 0 {
                        let _ = writeln!(o, "     frame {frame:>7}  {line}");
                    } else {
                        let _ = writeln!(o, "     {:>13}  {line}", "");
                    }
                }
            }
            if !rc.wireshark_filter.is_empty() {
                // Kept on one line so it can be pasted into Wireshark as is.
                let _ = writeln!(o, "     Wireshark filter:");
                let _ = writeln!(o, "     {}", rc.wireshark_filter);
            }
            for step in &rc.remediation {
                for (i, line) in wrap(step, 72).iter().enumerate() {
                    let _ = writeln!(o, "     {}{line}", if i == 0 { "- " } else { "  " });
                }
            }
        }
    }
    o
}

fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        if !cur.is_empty() && cur.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

fn endpoint(ip: &std::net::IpAddr, port: u16) -> String {
    match ip {
        std::net::IpAddr::V6(_) => format!("[{ip}]:{port}"),
        _ => format!("{ip}:{port}"),
    }
}

/// One row per connection, like Zeek's conn.log, with aligned columns.
pub fn flows(conns: &[Conn], multi_capture: bool) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<27} {:<5} {:<22} {:<22} {:>10} {:>6} {:>6} {:>9} {:>9} {:<6} {:<12} {:>7}",
        "ts",
        "proto",
        "orig",
        "resp",
        "duration",
        "o_pkts",
        "r_pkts",
        "o_bytes",
        "r_bytes",
        "state",
        "history",
        "frame"
    );
    for c in conns {
        let frame = if multi_capture {
            format!("{}:{}", c.capture, c.first_frame)
        } else {
            c.first_frame.to_string()
        };
        let _ = writeln!(
            o,
            "{:<27} {:<5} {:<22} {:<22} {:>10.6} {:>6} {:>6} {:>9} {:>9} {:<6} {:<12} {:>7}",
            c.ts(),
            c.proto.as_str(),
            endpoint(&c.orig_ip, c.orig_port),
            endpoint(&c.resp_ip, c.resp_port),
            c.duration_s,
            c.orig_pkts,
            c.resp_pkts,
            c.orig_bytes,
            c.resp_bytes,
            c.conn_state,
            if c.history.is_empty() {
                "-"
            } else {
                c.history.as_str()
            },
            frame
        );
    }
    o
}
