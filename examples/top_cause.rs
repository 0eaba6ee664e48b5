//! Links pcap-rca the way another tool would: analyse a capture, print the top root cause in
//! one line, and exit non-zero when it is critical.
//!
//! ```sh
//! cargo run --example top_cause -- fixtures/syn-dropped-8081.pcap
//! ```
//!
//! Exit codes: 0 nothing critical, 1 the top cause is critical, 2 the capture could not be
//! analysed.

use std::process::ExitCode;

use pcap_rca::{Config, Severity};

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: top_cause CAPTURE");
        return ExitCode::from(2);
    };
    let mut cfg = Config::default();
    cfg.threads = 2;
    let report = match pcap_rca::analyze_path(&path, &cfg) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("top_cause: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(top) = report.root_causes.first() else {
        println!(
            "healthy: no root cause in {} packets",
            report.summary.packets
        );
        return ExitCode::SUCCESS;
    };
    let server = top.server.as_ref().map_or(String::new(), |s| match s.port {
        Some(p) => format!(" on {}:{p}", s.ip),
        None => format!(" on {}", s.ip),
    });
    println!(
        "{} [{}, {:?} layer]{server}: {} (confidence {:.0}%, evidence frames {})",
        top.cause,
        top.severity.as_str(),
        top.layer,
        top.title,
        top.confidence * 100.0,
        top.evidence
            .iter()
            .map(|e| e.frame.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    if top.severity == Severity::Critical {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
