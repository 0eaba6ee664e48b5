//! Replays every input of the fuzz corpora through the fuzz targets' entry points:
//! the committed seeds (`fuzz/seeds/`), committed crash reproducers (`fuzz/regressions/`),
//! and, when present locally, the grown corpora and crash artifacts of `cargo fuzz`.

mod common;

use common::*;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let mut n = 0;
    for dir in ["seeds", "regressions", "corpus", "artifacts"] {
        for f in files_under(&root().join("fuzz").join(dir).join(target), &[]) {
            let data = std::fs::read(&f).unwrap();
            run(&data);
            n += 1;
        }
    }
    n
}

#[test]
fn capture_corpus_replays() {
    assert!(replay("capture", pcap_rca::fuzzing::capture) >= 20);
}

#[test]
fn frame_corpus_replays() {
    assert!(replay("frame", pcap_rca::fuzzing::frame) >= 100);
}

#[test]
fn analyze_corpus_replays() {
    assert!(replay("analyze", pcap_rca::fuzzing::analyze) >= 20);
}

#[test]
fn dns_corpus_replays() {
    assert!(replay("dns", pcap_rca::fuzzing::dns) >= 10);
}

#[test]
fn http_corpus_replays() {
    assert!(replay("http", pcap_rca::fuzzing::http) >= 5);
}

#[test]
fn tls_corpus_replays() {
    assert!(replay("tls", pcap_rca::fuzzing::tls) >= 3);
}

#[test]
fn certs_corpus_replays() {
    assert!(replay("certs", pcap_rca::fuzzing::certs) >= 5);
}
