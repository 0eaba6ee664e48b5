//! The Markdown rendering: the terminal report's content, ready to paste into a ticket
//! (GitHub, GitLab, Jira's Markdown, most wikis). Every string from the wire goes through
//! [`escape::markdown`] or, for filters, [`escape::markdown_code`].

use std::fmt::Write;

use super::escape::{markdown as md, markdown_code as code};
use super::text::{MAX_CLIENTS_SHOWN, collapse, frame_list};
use super::{Report, View};
use crate::rank::RootCause;

/// Renders the report as Markdown.
pub fn report(r: &Report, view: &View) -> String {
    let mut o = String::new();
    let packets: u64 = r.captures.iter().map(|c| c.packets).sum();
    let _ = writeln!(o, "# pcap-rca report\n");
    let _ = writeln!(o, "**Verdict:** {}\n", md(&super::headline(r)));
    let _ = writeln!(
        o,
        "{} capture{}, {packets} packets, {} flows ({} TCP, {} UDP, {} ICMP).\n",
        r.captures.len(),
        if r.captures.len() == 1 { "" } else { "s" },
        r.summary.flows,
        r.summary.tcp_flows,
        r.summary.udp_flows,
        r.summary.icmp_flows
    );
    for l in &r.summary.limits {
        let _ = writeln!(o, "> **Limit:** {}\n", md(l));
    }
    let shown = view.causes(r);
    if shown.is_empty() {
        let _ = writeln!(o, "## Root causes\n\nNone found.\n");
    } else {
        let _ = writeln!(o, "## Root causes\n");
        let _ = writeln!(o, "| # | severity | cause | confidence | title |");
        let _ = writeln!(o, "|---|---|---|---|---|");
        for rc in &shown {
            let _ = writeln!(
                o,
                "| {} | {} | `{}` | {:.0}% | {} |",
                rc.rank,
                rc.severity.as_str(),
                rc.cause,
                rc.confidence * 100.0,
                md(&rc.title)
            );
        }
        let _ = writeln!(o);
        for rc in &shown {
            root_cause(&mut o, r, rc, view);
        }
    }
    let _ = writeln!(o, "## Checked\n");
    let _ = writeln!(o, "| layer | area | result |");
    let _ = writeln!(o, "|---|---|---|");
    for c in &r.summary.checks {
        let _ = writeln!(
            o,
            "| {:?} | {} | {}{} |",
            c.layer,
            c.area,
            if c.healthy { "ok: " } else { "**see above:** " },
            md(&c.summary)
        );
    }
    let _ = writeln!(o, "\n## Captures\n");
    for c in &r.captures {
        let _ = writeln!(
            o,
            "- {}: {} ({}), {}, {} packets, {} bytes{}",
            md(&c.file),
            c.format,
            c.compression,
            c.link_types.join("+"),
            c.packets,
            c.bytes,
            match (&c.first_ts, &c.last_ts) {
                (Some(a), Some(b)) => format!(", {a} .. {b}"),
                _ => String::new(),
            }
        );
    }
    o
}

fn root_cause(o: &mut String, r: &Report, rc: &RootCause, view: &View) {
    let _ = writeln!(
        o,
        "### {}. [{}] `{}`: {}\n",
        rc.rank,
        rc.severity.as_str(),
        rc.cause,
        md(&rc.title)
    );
    let _ = writeln!(o, "{}\n", md(&rc.explanation));
    if !rc.consequences.is_empty() {
        let _ = writeln!(o, "**Consequences:**\n");
        for c in &rc.consequences {
            let _ = writeln!(o, "- {}{}", md(&c.note), frame_list(&c.frames));
        }
        let _ = writeln!(o);
    }
    if !rc.clients.is_empty() {
        let total = rc.clients_total.unwrap_or(rc.clients.len() as u64) as usize;
        let first: Vec<String> = rc
            .clients
            .iter()
            .take(MAX_CLIENTS_SHOWN)
            .map(|c| md(c))
            .collect();
        let more = if total > first.len() {
            format!(" and {} more", total - first.len())
        } else {
            String::new()
        };
        let _ = writeln!(o, "**Clients:** {}{more}  ", first.join(", "));
    }
    let _ = writeln!(o, "**When:** {} .. {}\n", rc.first_ts, rc.last_ts);
    if !rc.evidence.is_empty() {
        let _ = writeln!(o, "| frames | what they show |");
        let _ = writeln!(o, "|---|---|");
        for (frames, note) in collapse(&rc.evidence) {
            let _ = writeln!(o, "| {} | {} |", md(&frames.join(", ")), md(note));
        }
        let _ = writeln!(o);
    }
    if !rc.wireshark_filter.is_empty() {
        let _ = writeln!(o, "**Wireshark filter:** {}\n", code(&rc.wireshark_filter));
    }
    if !rc.remediation.is_empty() {
        let _ = writeln!(o, "**What to do:**\n");
        for step in &rc.remediation {
            let _ = writeln!(o, "1. {}", md(step));
        }
        let _ = writeln!(o);
    }
    if view.verbose {
        let _ = writeln!(o, "**Findings:**\n");
        for id in &rc.findings {
            if let Some(f) = r.findings.iter().find(|f| &f.id == id) {
                let _ = writeln!(
                    o,
                    "- `{}` [{}] `{}`: {}",
                    f.id,
                    f.severity.as_str(),
                    f.cause,
                    md(&f.title)
                );
            }
        }
        let _ = writeln!(o);
    }
}
