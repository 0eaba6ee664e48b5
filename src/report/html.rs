//! The HTML rendering: one self-contained page (inline style, inline SVG, one inline script)
//! that opens anywhere without a network. Its Content-Security-Policy allows no resource
//! from anywhere and only the one script whose SHA-256 it names (the table sorter), so a
//! `<script>` that came off the wire (a URI, an SNI) is shown as text and could not run even
//! if an escape were missed. Every string from the wire goes through [`escape::html`].

use std::fmt::Write;

use super::escape::html as h;
use super::text::{MAX_CLIENTS_SHOWN, collapse, frame_list_in};
use super::zh::Tr;
use super::{Lang, Report, View};
use crate::detect::finding::Severity;
use crate::rank::RootCause;
use crate::units::parse_rfc3339;

/// Root causes drawn as lanes in the timeline.
pub const TIMELINE_LANES: usize = 6;

/// Sorts a table when its header is clicked (numbers numerically, the rest as text).
const SORTER: &str = r#"
document.querySelectorAll('table.sortable th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var asc = th.getAttribute('data-order') !== 'asc';
    table.querySelectorAll('th').forEach(function (x) { x.removeAttribute('data-order'); });
    th.setAttribute('data-order', asc ? 'asc' : 'desc');
    rows.sort(function (a, b) {
      var x = a.cells[col].textContent, y = b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny) && String(nx) === x && String(ny) === y) ? nx - ny : x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"#;

const STYLE: &str = "
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#1b1b1b}
h1{font-size:1.5em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}h3{margin-bottom:.3em}
.verdict{font-size:1.15em;padding:.7em 1em;border-left:6px solid #888;background:#f4f4f4}
.sev{display:inline-block;padding:0 .45em;border-radius:3px;color:#fff;font-weight:600}
.critical{background:#b00020}.high{background:#d84315}.medium{background:#b8860b}.low{background:#2e7d9a}.info{background:#777}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f0f0f0}table.sortable th{cursor:pointer}code{background:#f4f4f4;padding:0 .25em;word-break:break-all}
.ok{color:#2e7d32}.trouble{color:#b00020;font-weight:600}svg text{font:12px system-ui,sans-serif}
";

/// Renders the report as one HTML page.
pub fn report(r: &Report, view: &View) -> String {
    let script_hash = sha256_base64(SORTER);
    let tr = Tr(view.lang);
    let w = tr.words();
    let html_lang = if view.lang == Lang::Zh { "zh-CN" } else { "en" };
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{html_lang}\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{script_hash}'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>pcap-rca: {}</title><style>{STYLE}</style></head><body>\n",
        h(&r.captures.iter().map(|c| c.file.as_str()).collect::<Vec<_>>().join(", "))
    );
    let _ = writeln!(o, "<h1>pcap-rca report</h1>");
    let top_sev = r.root_causes.first().map(|c| c.severity.as_str()).unwrap_or("info");
    let _ = writeln!(
        o,
        "<p class=\"verdict\" data-severity=\"{top_sev}\"><b>{}{}</b>{}</p>",
        w.verdict,
        w.colon,
        h(&tr.headline(r))
    );
    let packets: u64 = r.captures.iter().map(|c| c.packets).sum();
    let _ = writeln!(
        o,
        "<p>{} capture(s), {packets} packets, {} flows ({} TCP, {} UDP, {} ICMP).</p>",
        r.captures.len(),
        r.summary.flows,
        r.summary.tcp_flows,
        r.summary.udp_flows,
        r.summary.icmp_flows
    );
    for l in &r.summary.limits {
        let _ = writeln!(o, "<p><b>Limit:</b> {}</p>", h(l));
    }
    let shown = view.causes(r);
    timeline(&mut o, r, &shown);
    let _ = writeln!(o, "<h2>{}</h2>", w.root_causes);
    if shown.is_empty() {
        let _ = writeln!(o, "<p>{}</p>", w.none);
    }
    for rc in &shown {
        root_cause(&mut o, r, rc, view);
    }
    checked(&mut o, r, tr);
    failed_flows(&mut o, r);
    let _ = writeln!(o, "<h2>{}</h2><ul>", w.captures);
    for c in &r.captures {
        let _ = writeln!(
            o,
            "<li>{}: {}, {}, {} packets, {} bytes{}</li>",
            h(&c.file),
            h(&c.format),
            h(&c.link_types.join("+")),
            c.packets,
            c.bytes,
            match (&c.first_ts, &c.last_ts) {
                (Some(a), Some(b)) => format!(", {a} .. {b}"),
                _ => String::new(),
            }
        );
    }
    let _ = writeln!(o, "</ul>\n<script>{SORTER}</script>\n</body></html>");
    o
}

fn severity(s: Severity, tr: Tr) -> String {
    format!("<span class=\"sev {}\">{}</span>", s.as_str(), tr.severity(s))
}

fn root_cause(o: &mut String, r: &Report, rc: &RootCause, view: &View) {
    let tr = Tr(view.lang);
    let w = tr.words();
    let _ = writeln!(
        o,
        "<section class=\"cause\" id=\"cause-{}\"><h3>{}. {} <code>{}</code> {}</h3>",
        rc.rank,
        rc.rank,
        severity(rc.severity, tr),
        h(&rc.cause),
        h(&tr.title(rc))
    );
    if view.lang == Lang::Zh {
        let _ = writeln!(o, "<p>详情：{}</p>", h(&rc.title));
    }
    let _ = writeln!(
        o,
        "<p>{} {:.0}%. {}</p>",
        w.sure,
        rc.confidence * 100.0,
        h(&tr.why(rc))
    );
    if !rc.consequences.is_empty() {
        let _ = writeln!(o, "<p><b>{}</b></p><ul>", w.consequences);
        for c in &rc.consequences {
            let _ = writeln!(o, "<li>{}{}</li>", h(&tr.consequence(r, c)), frame_list_in(&c.frames, w.frames));
        }
        let _ = writeln!(o, "</ul>");
    }
    if !rc.clients.is_empty() {
        let total = rc.clients_total.unwrap_or(rc.clients.len() as u64) as usize;
        let first: Vec<String> = rc.clients.iter().take(MAX_CLIENTS_SHOWN).map(|c| h(c)).collect();
        let more = if total > first.len() {
            tr.more(total - first.len(), total as u64)
        } else {
            String::new()
        };
        let _ = writeln!(o, "<p><b>{}{}</b>{}{more}</p>", w.clients, w.colon, first.join(", "));
    }
    let _ = writeln!(o, "<p><b>{}{}</b>{} .. {}</p>", w.when, w.colon, rc.first_ts, rc.last_ts);
    if !rc.evidence.is_empty() {
        let _ = writeln!(o, "<table><tr><th>frames</th><th>{}</th></tr>", w.evidence);
        for (frames, note) in collapse(&rc.evidence) {
            let _ = writeln!(o, "<tr><td>{}</td><td>{}</td></tr>", h(&frames.join(", ")), h(note));
        }
        let _ = writeln!(o, "</table>");
    }
    if !rc.wireshark_filter.is_empty() {
        let _ = writeln!(
            o,
            "<p><b>{}{}</b><code>{}</code></p>",
            w.filter,
            w.colon,
            h(&rc.wireshark_filter)
        );
    }
    let fix = tr.fix(rc);
    if !fix.is_empty() {
        let _ = writeln!(o, "<p><b>{}</b></p><ol>", w.what_to_do);
        for step in &fix {
            let _ = writeln!(o, "<li>{}</li>", h(step));
        }
        let _ = writeln!(o, "</ol>");
    }
    if view.verbose {
        let _ = writeln!(o, "<p><b>{}</b></p><ul>", w.findings);
        for id in &rc.findings {
            if let Some(f) = r.findings.iter().find(|f| &f.id == id) {
                let _ = writeln!(
                    o,
                    "<li><code>{}</code> {} <code>{}</code>: {}</li>",
                    h(&f.id),
                    severity(f.severity, tr),
                    h(&f.cause),
                    h(&f.title)
                );
            }
        }
        let _ = writeln!(o, "</ul>");
    }
    let _ = writeln!(o, "</section>");
}

/// The timeline: time on x, one lane per top root cause, a bar from its first to its last
/// time and a mark at each evidence frame, so a reader sees what started first.
fn timeline(o: &mut String, r: &Report, shown: &[&RootCause]) {
    let lanes: Vec<&&RootCause> = shown.iter().take(TIMELINE_LANES).collect();
    let (Some(start), Some(end)) = (
        r.captures.iter().filter_map(|c| c.first_ts.as_deref().and_then(parse_rfc3339)).min(),
        r.captures.iter().filter_map(|c| c.last_ts.as_deref().and_then(parse_rfc3339)).max(),
    ) else {
        return;
    };
    if lanes.is_empty() {
        return;
    }
    let (left, width, lane_h) = (260.0, 700.0, 34.0);
    let span = end.saturating_sub(start).max(1) as f64;
    let x = |ns: i64| left + width * ((ns as f64 - start as f64) / span).clamp(0.0, 1.0);
    let height = 30.0 + lane_h * lanes.len() as f64 + 30.0;
    let _ = writeln!(o, "<h2>Timeline</h2>");
    let _ = writeln!(
        o,
        "<svg class=\"timeline\" role=\"img\" aria-label=\"timeline of the top root causes\" \
         width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\" xmlns=\"http://www.w3.org/2000/svg\">",
        left + width + 20.0,
        left + width + 20.0
    );
    for (i, rc) in lanes.iter().enumerate() {
        let y = 30.0 + lane_h * i as f64;
        let color = color(rc.severity);
        let label: String = format!("{}. {}", rc.rank, rc.cause);
        let _ = writeln!(
            o,
            "<g class=\"lane\" data-cause=\"{}\"><text x=\"4\" y=\"{}\">{}</text>",
            h(&rc.cause),
            y + 16.0,
            h(&label)
        );
        let _ = writeln!(
            o,
            "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#ddd\"/>",
            y + 12.0,
            left + width,
            y + 12.0
        );
        if let (Some(a), Some(b)) = (parse_rfc3339(&rc.first_ts), parse_rfc3339(&rc.last_ts)) {
            let _ = writeln!(
                o,
                "<rect x=\"{:.1}\" y=\"{}\" width=\"{:.1}\" height=\"8\" fill=\"{color}\" opacity=\"0.3\"><title>{} .. {}</title></rect>",
                x(a),
                y + 8.0,
                (x(b) - x(a)).max(2.0),
                rc.first_ts,
                rc.last_ts
            );
        }
        for e in &rc.evidence {
            if let Some(t) = parse_rfc3339(&e.ts) {
                let _ = writeln!(
                    o,
                    "<circle cx=\"{:.1}\" cy=\"{}\" r=\"4\" fill=\"{color}\"><title>frame {}: {}</title></circle>",
                    x(t),
                    y + 12.0,
                    e.frame,
                    h(&e.note)
                );
            }
        }
        let _ = writeln!(o, "</g>");
    }
    let axis = 30.0 + lane_h * lanes.len() as f64 + 8.0;
    let _ = writeln!(
        o,
        "<line x1=\"{left}\" y1=\"{axis}\" x2=\"{}\" y2=\"{axis}\" stroke=\"#555\"/>\
         <text x=\"{left}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} (+{:.1} s)</text></svg>",
        left + width,
        axis + 16.0,
        crate::units::rfc3339(start),
        left + width,
        axis + 16.0,
        crate::units::rfc3339(end),
        span / 1e9
    );
}

fn color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "#b00020",
        Severity::High => "#d84315",
        Severity::Medium => "#b8860b",
        Severity::Low => "#2e7d9a",
        Severity::Info => "#777",
    }
}

fn checked(o: &mut String, r: &Report, tr: Tr) {
    let w = tr.words();
    let _ = writeln!(
        o,
        "<h2>{}</h2><table><tr><th>layer</th><th>area</th><th></th><th></th></tr>",
        w.checked
    );
    for c in &r.summary.checks {
        let (class, word) = if c.healthy { ("ok", w.ok) } else { ("trouble", w.trouble) };
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td class=\"{class}\">{word}</td><td>{}</td></tr>",
            tr.layer(c.layer),
            c.area,
            h(&tr.check(c))
        );
    }
    let _ = writeln!(o, "</table>");
}

fn failed_flows(o: &mut String, r: &Report) {
    let _ = writeln!(o, "<h2>Failed connections</h2>");
    if r.failed_flows.is_empty() {
        let _ = writeln!(o, "<p>None.</p>");
        return;
    }
    let _ = writeln!(
        o,
        "<p>{} TCP connections with no answer, refused, reset or abandoned{} (click a column to sort).</p>",
        r.failed_flows.len(),
        if r.failed_flows.len() == super::MAX_FAILED_FLOWS {
            " (the first ones)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        o,
        "<table class=\"sortable\" id=\"failed-flows\"><thead><tr><th>frame</th><th>start</th>\
         <th>client</th><th>server</th><th>outcome</th><th>state</th><th>history</th></tr></thead><tbody>"
    );
    let multi = r.captures.len() > 1;
    for f in &r.failed_flows {
        let frame = if multi {
            format!("{}:{}", f.capture, f.frame)
        } else {
            f.frame.to_string()
        };
        let _ = writeln!(
            o,
            "<tr><td>{frame}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            f.ts,
            h(&f.client),
            h(&f.server),
            f.outcome,
            f.state,
            h(&f.history)
        );
    }
    let _ = writeln!(o, "</tbody></table>");
}

/// The CSP hash of an inline script: base64 of its SHA-256.
fn sha256_base64(s: &str) -> String {
    use base64::Engine;
    let d = ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(d.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_hash_is_the_standard_one() {
        // echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
        assert_eq!(
            sha256_base64("alert(1)"),
            "bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI="
        );
    }
}
