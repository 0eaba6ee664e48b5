//! The HTML report in a real browser: headless Chromium (Debian's `chromium`, installed by
//! `.ci/run`) loads the report of a real capture and of the hostile-strings capture; the
//! page must not be blank, must have its timeline lanes and its sortable table, must log no
//! error (a Content-Security-Policy violation would mean the page's own script was blocked),
//! and no script from the wire may run.
//!
//! Without Chromium the test says so and passes, unless `CI` is set: CI must run it.

use std::path::{Path, PathBuf};
use std::process::Command;

use pcap_rca::{Config, View};

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// The page's DOM after its scripts ran, and what the browser logged.
fn load(browser: &str, page: &Path) -> (String, String) {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run the browser");
    assert!(
        out.status.success(),
        "{browser} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn html_of(rel: &str, dir: &Path) -> PathBuf {
    let mut cfg = Config::default();
    cfg.threads = 2;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let r = pcap_rca::analyze_path(root.join(rel), &cfg).unwrap();
    let path = dir.join(format!(
        "{}.html",
        Path::new(rel).file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&path, r.to_html(&View::default())).unwrap();
    path
}

/// Console messages at warning level or above, and CSP violations.
fn errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            l.contains("CONSOLE") || l.contains("Content Security Policy") || l.contains("Uncaught")
        })
        .collect()
}

#[test]
fn the_html_report_renders_in_a_browser_and_runs_no_script_from_the_wire() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser test: install chromium (.ci/run does)"
        );
        eprintln!("skipped: no chromium (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();

    let page = html_of("fixtures/links/vip-failover.pcap", dir.path());
    let (dom, log) = load(browser, &page);
    assert!(
        errors(&log).is_empty(),
        "browser errors: {:#?}",
        errors(&log)
    );
    assert!(
        dom.contains("<h1>pcap-rca report</h1>"),
        "blank page: {dom}"
    );
    assert_eq!(
        dom.matches("class=\"lane\"").count(),
        1,
        "one lane per root cause"
    );
    assert!(dom.contains("arp_vip_move"));
    assert!(dom.contains("id=\"failed-flows\""));

    let page = html_of("fixtures/hostile-strings.pcap", dir.path());
    let (dom, log) = load(browser, &page);
    assert!(
        errors(&log).is_empty(),
        "browser errors: {:#?}",
        errors(&log)
    );
    // The URI and the Host header are shown as text; no element came from them.
    assert!(
        dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{dom}"
    );
    assert!(dom.contains("&lt;img src=x onerror=alert(2)&gt;"), "{dom}");
    assert_eq!(
        dom.matches("<script").count(),
        1,
        "only the page's own script"
    );
    assert!(!dom.contains("<img"), "an image element came from the wire");
}
