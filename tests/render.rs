//! The renderings (text, Markdown, HTML) of real fixture captures: golden files for text and
//! Markdown (`fixtures/golden/render/`, rewritten with `UPDATE_GOLDEN=1 cargo test --test
//! render`), the 100-column limit, the view options, and hostile strings from the wire
//! (`fixtures/hostile-strings.pcap`: a URI and a Host header carrying markup) escaped for
//! each medium. Only the public API is used.

use std::path::{Path, PathBuf};

use pcap_rca::{Config, Lang, Report, View};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn report(rel: &str) -> Report {
    let mut cfg = Config::default();
    cfg.threads = 2;
    // Relative to the package root (the tests' directory), so reports name the file alike
    // on every checkout.
    pcap_rca::analyze_path(rel, &cfg).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Captures with golden renderings: the README's demo, and links between findings.
const GOLDEN: &[&str] = &[
    "fixtures/syn-dropped-8081.pcap",
    "fixtures/tls-expired-intermediate.pcap",
    "fixtures/links/vip-failover.pcap",
    "fixtures/links/tls-legacy-server.pcap",
    "fixtures/links/dns-tcp-blocked.pcap",
    "fixtures/hostile-strings.pcap",
];

fn check_golden(path: &Path, got: &str) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(path).unwrap_or_else(|_| {
        panic!(
            "{} missing: run UPDATE_GOLDEN=1 cargo test --test render",
            path.display()
        )
    });
    if got != want {
        let line = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(got.lines().count().min(want.lines().count()));
        panic!(
            "{} differs at line {}:\n got: {:?}\nwant: {:?}\n(UPDATE_GOLDEN=1 rewrites it)",
            path.display(),
            line + 1,
            got.lines().nth(line),
            want.lines().nth(line)
        );
    }
}

#[test]
fn text_and_markdown_match_their_golden_files() {
    let dir = root().join("fixtures/golden/render");
    let zh = View {
        lang: Lang::Zh,
        ..View::default()
    };
    for rel in GOLDEN {
        let r = report(rel);
        let name = Path::new(rel)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        check_golden(&dir.join(format!("{name}.txt")), &r.to_text());
        check_golden(
            &dir.join(format!("{name}.md")),
            &r.to_markdown(&View::default()),
        );
        check_golden(&dir.join(format!("{name}.zh.txt")), &r.to_text_view(&zh));
        check_golden(&dir.join(format!("{name}.zh.md")), &r.to_markdown(&zh));
    }
}

#[test]
fn the_chinese_report_is_chinese_where_it_should_be_and_fits_100_columns() {
    let zh = View {
        lang: Lang::Zh,
        ..View::default()
    };
    let r = report("fixtures/tls-expired-intermediate.pcap");
    let text = r.to_text_view(&zh);
    assert!(text.contains("结论："), "{text}");
    assert!(text.contains("证书链中的 CA 证书已过期"), "{text}");
    assert!(text.contains("处理建议"), "{text}");
    // Cause ids, frame numbers and filters stay as they are.
    assert!(text.contains("tls_ca_expired"));
    assert!(text.contains("tls.handshake.type == 11"));
    for line in text.lines() {
        if line.trim_start().starts_with("Wireshark") {
            continue;
        }
        let width: usize = line
            .chars()
            .map(|c| {
                if (c as u32) >= 0x1100 && !c.is_ascii() {
                    2
                } else {
                    1
                }
            })
            .sum();
        assert!(width <= 100, "{width} columns: {line}");
        let start = line.trim_start();
        assert!(
            !start.starts_with('，') && !start.starts_with('。'),
            "{line}"
        );
    }
    let html = r.to_html(&zh);
    assert!(html.contains("lang=\"zh-CN\"") && html.contains("根本原因"));
}

#[test]
fn the_text_report_fits_100_columns() {
    for rel in GOLDEN {
        let text = report(rel).to_text();
        for line in text.lines() {
            // The filter stays on one line so it can be pasted into Wireshark as is.
            if line.trim_start().starts_with("Wireshark filter:") {
                continue;
            }
            assert!(
                line.chars().count() <= 100,
                "{rel}: {} columns: {line}",
                line.chars().count()
            );
        }
    }
}

#[test]
fn the_verdict_names_the_top_cause_and_the_service() {
    let text = report("fixtures/links/vip-failover.pcap").to_text();
    let verdict: String = text
        .lines()
        .skip_while(|l| !l.starts_with("Verdict:"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(verdict.contains("10.80.0.100"), "{verdict}");
    assert!(verdict.contains("arp_vip_move"), "{verdict}");
    // What was checked, layer by layer, in the order an engineer checks.
    let checked = text.split("Checked").nth(1).expect("a Checked section");
    let order: Vec<usize> = ["network", "transport", "application", "security"]
        .iter()
        .map(|l| checked.find(l).unwrap_or_else(|| panic!("{l} missing")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(checked.contains("HTTP: 22 requests"), "{checked}");
}

#[test]
fn top_and_server_focus_the_report() {
    let r = report("fixtures/links/dns-tcp-blocked.pcap");
    assert_eq!(r.root_causes.len(), 2);
    let view = View {
        top: Some(1),
        ..View::default()
    };
    let text = r.to_text_view(&view);
    assert!(text.contains("Root causes (1 of 2 shown)"), "{text}");
    assert!(!text.contains("10.80.0.54:53 are lost"), "{text}");
    let view = View {
        server: Some("10.80.0.54:53".into()),
        ..View::default()
    };
    let md = r.to_markdown(&view);
    assert!(md.contains("10.80.0.54:53"), "{md}");
    assert!(!md.contains("### 1."), "rank 1 is about 10.80.0.53: {md}");
    let view = View {
        verbose: true,
        ..View::default()
    };
    assert!(r.to_text_view(&view).contains("dns.tcp_fallback#1"));
}

#[test]
fn colour_only_when_asked() {
    let r = report("fixtures/syn-dropped-8081.pcap");
    assert!(!r.to_text().contains('\u{1b}'));
    let view = View {
        color: true,
        ..View::default()
    };
    assert!(r.to_text_view(&view).contains("\u{1b}["));
}

#[test]
fn strings_from_the_wire_are_escaped_for_each_medium() {
    let r = report("fixtures/hostile-strings.pcap");
    assert_eq!(r.root_causes[0].cause, "http_5xx");
    assert!(r.root_causes[0].title.contains("<script>alert(1)</script>"));
    // Terminal: no control character at all (no colour asked).
    let text = r.to_text();
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
    // Markdown: no raw tag, no way out of a table cell or into a link.
    let md = r.to_markdown(&View::default());
    assert!(!md.contains("<script>") && !md.contains("<img"), "{md}");
    assert!(md.contains("&lt;script&gt;alert\\(1\\)") || md.contains("&lt;script&gt;alert(1)"));
    for line in md.lines().filter(|l| l.starts_with("| 1 |")) {
        assert_eq!(line.matches(" | ").count() + 2, 6, "5 cells: {line}");
    }
    // HTML: entities, and one script: the page's own.
    let html = r.to_html(&View::default());
    assert!(!html.contains("<script>alert") && !html.contains("<img src=x"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("Content-Security-Policy"));
}
