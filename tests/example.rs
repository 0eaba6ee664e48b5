//! The example under `examples/` links the crate as another tool would; `cargo test` builds
//! it, and this runs it on bundled captures.

use std::path::PathBuf;
use std::process::Command;

fn example(name: &str) -> Option<PathBuf> {
    // target/<profile>/deps/example-<hash> -> target/<profile>/examples/<name>
    let exe = std::env::current_exe().ok()?;
    let p = exe.parent()?.parent()?.join("examples").join(name);
    p.exists().then_some(p)
}

#[test]
fn top_cause_prints_the_verdict_and_exits_by_severity() {
    // `cargo test` builds the examples; `cargo test --test example` alone does not.
    if example("top_cause").is_none() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let st = Command::new(cargo)
            .args(["build", "--example", "top_cause"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(st.success(), "cargo build --example top_cause");
    }
    let bin = example("top_cause").expect("examples/top_cause");
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let out = Command::new(&bin)
        .arg(fixtures.join("syn-dropped-8081.pcap"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("tcp_syn_unanswered [critical"), "{text}");
    assert!(text.contains("10.0.0.5:8081"), "{text}");
    assert_eq!(out.status.code(), Some(1), "critical top cause exits 1");

    let out = Command::new(&bin)
        .arg(fixtures.join("healthy-mix.pcap"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let out = Command::new(&bin).arg(file!()).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "not a capture exits 2");
}
