//! Plain-text renderings: the report (100 columns, colour on request) and the flow table.

use std::fmt::Write;

use crate::detect::finding::Severity;
use crate::flow::Conn;
use crate::rank::RootCause;

use super::zh::Tr;
use super::{Lang, Report, View};

/// Columns the report fits in.
pub const WIDTH: usize = 100;

/// Renders the report for a terminal [`WIDTH`] columns wide: the verdict, the root causes
/// `view` selects, what was ruled out, then the captures.
pub fn report(r: &Report, view: &View) -> String {
    let paint = Paint(view.color);
    let tr = Tr(view.lang);
    let w = tr.words();
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
    let _ = writeln!(o);
    let label = format!("{}{}", w.verdict, w.colon);
    let indent = " ".repeat(display_width(&label));
    para(&mut o, &paint.bold(&label), &esc(&tr.headline(r)), &indent);
    for l in &r.summary.limits {
        para(&mut o, "Limit: ", &esc(l), "       ");
    }
    let _ = writeln!(o);
    let shown = view.causes(r);
    if r.root_causes.is_empty() {
        let _ = writeln!(o, "{}", paint.bold(&format!("{}{}{}", w.root_causes, w.colon, w.none)));
    } else {
        let head = if view.is_partial(r) {
            format!("{}{}", w.root_causes, tr.shown(shown.len(), r.root_causes.len()))
        } else {
            w.root_causes.to_string()
        };
        let _ = writeln!(o, "{}", paint.bold(&head));
        for rc in &shown {
            root_cause(&mut o, r, rc, view, paint);
        }
    }
    ruled_out(&mut o, r, paint, tr);
    captures(&mut o, r, paint, tr);
    o
}

/// One root cause, indented five columns under its rank.
fn root_cause(o: &mut String, r: &Report, rc: &RootCause, view: &View, paint: Paint) {
    let tr = Tr(view.lang);
    let w = tr.words();
    let sure = if view.lang == Lang::Zh {
        format!("（{} {:.0}%，{}）", w.sure, rc.confidence * 100.0, tr.layer(rc.layer))
    } else {
        format!("({:.0}% sure, {})", rc.confidence * 100.0, tr.layer(rc.layer))
    };
    let _ = writeln!(
        o,
        "{:>3}. {} {}{}{sure}",
        rc.rank,
        paint.severity(rc.severity, tr.severity(rc.severity)),
        rc.cause,
        if view.lang == Lang::Zh { "" } else { " " },
    );
    let ind = "     ";
    para(o, ind, &paint.bold(&esc(&tr.title(rc))), ind);
    if view.lang == Lang::Zh {
        // The detector's own words carry the specifics (addresses, names, counts).
        para(o, &format!("{ind}详情："), &esc(&rc.title), ind);
    }
    para(o, ind, &esc(&tr.why(rc)), ind);
    if !rc.consequences.is_empty() {
        let _ = writeln!(o, "{ind}{}{}", w.consequences, w.colon.trim_end());
        for c in &rc.consequences {
            let text = format!("{}{}", esc(&tr.consequence(r, c)), frame_list_in(&c.frames, w.frames));
            para(o, "     - ", &text, "       ");
        }
    }
    if !rc.clients.is_empty() {
        let total = rc.clients_total.unwrap_or(rc.clients.len() as u64);
        let first: Vec<String> = rc.clients.iter().take(MAX_CLIENTS_SHOWN).map(|c| esc(c)).collect();
        let more = if total as usize > first.len() {
            tr.more(total as usize - first.len(), total)
        } else {
            String::new()
        };
        para(o, &format!("{ind}{}{}", w.clients, w.colon), &format!("{}{more}", first.join(", ")), ind);
    }
    let _ = writeln!(o, "{ind}{}{}{} .. {}", w.when, w.colon, rc.first_ts, rc.last_ts);
    if !rc.evidence.is_empty() {
        let _ = writeln!(o, "{ind}{}{}", w.evidence, w.colon.trim_end());
        for (frames, note) in collapse(&rc.evidence) {
            let label = if frames.len() == 1 {
                format!("frame {}", frames[0])
            } else {
                format!("frames {} ({})", frames.join(", "), frames.len())
            };
            para(o, &format!("{ind}  {label}: "), &esc(note), "         ");
        }
    }
    if !rc.wireshark_filter.is_empty() {
        // Kept on one line so it can be pasted into Wireshark as is.
        let _ = writeln!(o, "{ind}{}{}{}", w.filter, w.colon, esc(&rc.wireshark_filter));
    }
    let fix = tr.fix(rc);
    if !fix.is_empty() {
        let _ = writeln!(o, "{ind}{}{}", w.what_to_do, w.colon.trim_end());
        for step in &fix {
            para(o, "     - ", &esc(step), "       ");
        }
    }
    if view.verbose {
        let _ = writeln!(o, "{ind}{}{}", w.findings, w.colon.trim_end());
        for id in &rc.findings {
            if let Some(f) = r.findings.iter().find(|f| &f.id == id) {
                let text = format!(
                    "{id} [{}] {} ({:.0}%): {}",
                    f.severity.as_str(),
                    f.cause,
                    f.confidence * 100.0,
                    esc(&f.title)
                );
                para(o, "     - ", &text, "       ");
            }
        }
    }
}

/// Root causes' clients listed by address before "and N more".
pub const MAX_CLIENTS_SHOWN: usize = 5;

/// Evidence grouped by note, word for word (the same chain seen in every handshake), as
/// (frame labels, note), in order of each note's first frame.
pub(super) fn collapse(ev: &[crate::detect::finding::Evidence]) -> Vec<(Vec<String>, &str)> {
    let mut out: Vec<(Vec<String>, &str)> = Vec::new();
    for e in ev {
        let label = match &e.capture {
            Some(c) => format!("{}:{}", esc(c), e.frame),
            None => e.frame.to_string(),
        };
        match out.iter_mut().find(|(_, note)| *note == e.note) {
            Some((frames, _)) => frames.push(label),
            None => out.push((vec![label], e.note.as_str())),
        }
    }
    out
}

/// " (WORD 1, 2, 3, ...)": frame numbers after the word for frames of a language.
pub(super) fn frame_list_in(frames: &[u64], word: &str) -> String {
    if frames.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = frames.iter().take(6).map(|f| f.to_string()).collect();
    let more = if frames.len() > 6 { ", ..." } else { "" };
    format!(" ({word} {}{more})", shown.join(", "))
}

/// The areas checked, layer by layer, healthy ones first said as ruled out.
fn ruled_out(o: &mut String, r: &Report, paint: Paint, tr: Tr) {
    if r.summary.checks.is_empty() {
        return;
    }
    let w = tr.words();
    let _ = writeln!(o);
    let _ = writeln!(o, "{}", paint.bold(w.checked));
    let mut last = None;
    for c in &r.summary.checks {
        let layer = if last == Some(c.layer) {
            String::new()
        } else {
            layer_label(tr, c.layer)
        };
        last = Some(c.layer);
        let mark = if c.healthy { w.ok } else { w.trouble };
        let first = format!("  {} {} ", pad(&layer, 12), pad(mark, 8));
        para(o, &first, &esc(&tr.check(c)), &" ".repeat(24));
    }
}

/// A layer's name in the checks' first column.
fn layer_label(tr: Tr, l: crate::detect::finding::Layer) -> String {
    if tr.0 == Lang::Zh {
        tr.layer(l)
    } else {
        layer_name(l).to_string()
    }
}

/// `s` padded with spaces to `width` display columns.
fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(display_width(s))))
}

fn captures(o: &mut String, r: &Report, paint: Paint, tr: Tr) {
    let _ = writeln!(o);
    let _ = writeln!(o, "{}", paint.bold(tr.words().captures));
    for c in &r.captures {
        let _ = writeln!(o, "  {}", esc(&c.file));
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
            para(o, "    ! ", &esc(w), "      ");
        }
    }
}

fn layer_name(l: crate::detect::finding::Layer) -> &'static str {
    use crate::detect::finding::Layer;
    match l {
        Layer::Network => "network",
        Layer::Transport => "transport",
        Layer::Application => "application",
        Layer::Security => "security",
        Layer::Capture => "capture",
    }
}

fn esc(s: &str) -> String {
    super::escape::terminal(s)
}

/// `first` then `text` wrapped to [`WIDTH`] display columns, later lines indented by
/// `rest`. Widths count what a terminal shows: not the colour codes `first` may carry, and
/// two columns for a CJK character.
fn para(o: &mut String, first: &str, text: &str, rest: &str) {
    let visible = display_width(&strip_ansi(first));
    let width = WIDTH.saturating_sub(visible.max(rest.len())).max(20);
    let lines = wrap(text, width);
    if lines.is_empty() {
        let _ = writeln!(o, "{}", first.trim_end());
        return;
    }
    for (i, line) in lines.iter().enumerate() {
        let _ = writeln!(o, "{}{line}", if i == 0 { first } else { rest });
    }
}

/// Columns `s` takes in a terminal.
pub(super) fn display_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut in_esc = false;
    for c in s.chars() {
        match (in_esc, c) {
            (false, '\u{1b}') => in_esc = true,
            (true, 'm') => in_esc = false,
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}

/// Colour, when asked for.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn style(self, s: &str, style: anstyle::Style) -> String {
        if self.0 {
            format!("{}{s}{}", style.render(), style.render_reset())
        } else {
            s.to_string()
        }
    }

    fn bold(self, s: &str) -> String {
        self.style(s, anstyle::Style::new().bold())
    }

    fn severity(self, sev: Severity, name: &str) -> String {
        use anstyle::{AnsiColor, Style};
        let st = match sev {
            Severity::Critical => Style::new().bold().fg_color(Some(AnsiColor::Red.into())),
            Severity::High => Style::new().fg_color(Some(AnsiColor::Red.into())),
            Severity::Medium => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
            Severity::Low => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
            Severity::Info => Style::new().dimmed(),
        };
        self.style(&format!("[{name}]"), st)
    }
}

/// Breaks `s` into lines of at most `width` columns: at spaces, and between two CJK
/// characters (Chinese has no spaces between words). A word longer than a line is kept
/// whole.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    let toks = tokens(s);
    // Closing punctuation never starts a line (，。、；：！？）): it stays with the word before.
    let closing = |t: &(&str, bool)| !t.1 && t.0.chars().all(|c| "，。、；：！？）」』".contains(c));
    for (k, token) in toks.iter().enumerate() {
        let &(word, spaced) = token;
        let tail = toks.get(k + 1).filter(|t| closing(t)).map_or(0, |t| display_width(t.0));
        let need = display_width(word) + tail + usize::from(spaced && !cur.is_empty());
        if !cur.is_empty() && !closing(token) && display_width(&cur) + need > width {
            lines.push(std::mem::take(&mut cur));
        }
        if spaced && !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// The words of `s`, each with whether a space separated it from the one before: a CJK
/// character (or punctuation) is a word of its own, joined without a space.
fn tokens(s: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    for (i, chunk) in s.split_whitespace().enumerate() {
        let mut start = 0;
        let mut first = i > 0;
        for (j, c) in chunk.char_indices() {
            if is_wide(c) {
                if start < j {
                    out.push((&chunk[start..j], first));
                    first = false;
                }
                out.push((&chunk[j..j + c.len_utf8()], first));
                first = false;
                start = j + c.len_utf8();
            }
        }
        if start < chunk.len() {
            out.push((&chunk[start..], first));
        }
    }
    out
}

fn is_wide(c: char) -> bool {
    unicode_width::UnicodeWidthChar::width(c) == Some(2)
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
