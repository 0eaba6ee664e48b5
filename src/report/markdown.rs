//! The Markdown rendering: the terminal report's content, ready to paste into a ticket
//! (GitHub, GitLab, Jira's Markdown, most wikis). Every string from the wire goes through
//! [`escape::markdown`] or, for filters, [`escape::markdown_code`].

use std::fmt::Write;

use super::escape::{markdown as md, markdown_code as code};
use super::text::{MAX_CLIENTS_SHOWN, collapse, frame_list_in};
use super::zh::Tr;
use super::{Lang, Report, View};
use crate::rank::RootCause;

/// Renders the report as Markdown.
pub fn report(r: &Report, view: &View) -> String {
    let tr = Tr(view.lang);
    let w = tr.words();
    let mut o = String::new();
    let packets: u64 = r.captures.iter().map(|c| c.packets).sum();
    let _ = writeln!(o, "# pcap-rca report\n");
    let gap = if view.lang == Lang::Zh { "" } else { " " };
    let _ = writeln!(o, "**{}{}**{gap}{}\n", w.verdict, w.colon.trim_end(), md(&tr.headline(r)));
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
        let _ = writeln!(o, "## {}\n\n{}\n", w.root_causes, w.none);
    } else {
        let _ = writeln!(o, "## {}\n", w.root_causes);
        if view.lang == Lang::Zh {
            let _ = writeln!(o, "| # | 严重程度 | cause | 可信度 | 标题 |");
        } else {
            let _ = writeln!(o, "| # | severity | cause | confidence | title |");
        }
        let _ = writeln!(o, "|---|---|---|---|---|");
        for rc in &shown {
            let _ = writeln!(
                o,
                "| {} | {} | `{}` | {:.0}% | {} |",
                rc.rank,
                tr.severity(rc.severity),
                rc.cause,
                rc.confidence * 100.0,
                md(&tr.title(rc))
            );
        }
        let _ = writeln!(o);
        for rc in &shown {
            root_cause(&mut o, r, rc, view);
        }
    }
    let _ = writeln!(o, "## {}\n", w.checked);
    let _ = writeln!(o, "| layer | area | |");
    let _ = writeln!(o, "|---|---|---|");
    for c in &r.summary.checks {
        let _ = writeln!(
            o,
            "| {} | {} | {}{}{} |",
            tr.layer(c.layer),
            c.area,
            if c.healthy { w.ok.to_string() } else { format!("**{}**", w.trouble) },
            w.colon,
            md(&tr.check(c))
        );
    }
    let _ = writeln!(o, "\n## {}\n", w.captures);
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
    let tr = Tr(view.lang);
    let w = tr.words();
    let _ = writeln!(
        o,
        "### {}. [{}] `{}`{}{}\n",
        rc.rank,
        tr.severity(rc.severity),
        rc.cause,
        w.colon,
        md(&tr.title(rc))
    );
    if view.lang == Lang::Zh {
        let _ = writeln!(o, "详情：{}\n", md(&rc.title));
    }
    let _ = writeln!(o, "{}\n", md(&tr.why(rc)));
    if !rc.consequences.is_empty() {
        let _ = writeln!(o, "**{}**\n", w.consequences);
        for c in &rc.consequences {
            let _ = writeln!(o, "- {}{}", md(&tr.consequence(r, c)), frame_list_in(&c.frames, w.frames));
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
            tr.more(total - first.len(), total as u64)
        } else {
            String::new()
        };
        let _ = writeln!(o, "**{}**{}{}{more}  ", w.clients, w.colon, first.join(", "));
    }
    let _ = writeln!(o, "**{}**{}{} .. {}\n", w.when, w.colon, rc.first_ts, rc.last_ts);
    if !rc.evidence.is_empty() {
        let _ = writeln!(o, "| frames | {} |", w.evidence);
        let _ = writeln!(o, "|---|---|");
        for (frames, note) in collapse(&rc.evidence) {
            let _ = writeln!(o, "| {} | {} |", md(&frames.join(", ")), md(note));
        }
        let _ = writeln!(o);
    }
    if !rc.wireshark_filter.is_empty() {
        let _ = writeln!(o, "**{}**{}{}\n", w.filter, w.colon, code(&rc.wireshark_filter));
    }
    let fix = tr.fix(rc);
    if !fix.is_empty() {
        let _ = writeln!(o, "**{}**\n", w.what_to_do);
        for step in &fix {
            let _ = writeln!(o, "1. {}", md(step));
        }
        let _ = writeln!(o);
    }
    if view.verbose {
        let _ = writeln!(o, "**{}**\n", w.findings);
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
