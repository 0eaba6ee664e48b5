//! `Config::progress` is told how far the analysis is: packets and bytes only grow, and end
//! at the capture's packet count; the report does not depend on it. The CLI shows it as a
//! bar on stderr only for big inputs on a terminal: piped, it prints nothing.

use std::sync::{Arc, Mutex};

use pcap_rca::{Config, Progress};

#[test]
fn progress_reaches_every_packet_and_changes_nothing() {
    let path = "fixtures/links/vip-failover.pcap";
    let seen: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
    let s = seen.clone();
    let mut cfg = Config::default();
    cfg.threads = 2;
    cfg.chunk_bytes = 4096; // several batches
    cfg.progress = Some(Progress(Arc::new(move |p, b| {
        s.lock().unwrap().push((p, b))
    })));
    let with = pcap_rca::analyze_path(path, &cfg).unwrap();
    cfg.progress = None;
    let without = pcap_rca::analyze_path(path, &cfg).unwrap();
    assert_eq!(with.to_json(), without.to_json());
    let seen = seen.lock().unwrap();
    assert!(seen.len() > 1, "{seen:?}");
    assert!(
        seen.windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1),
        "{seen:?}"
    );
    assert_eq!(seen.last().unwrap().0, with.summary.packets);
    let file = std::fs::metadata(path).unwrap().len();
    let bytes = seen.last().unwrap().1;
    // Frames plus 16-byte record headers: the pcap file minus its 24-byte header.
    assert_eq!(bytes + 24, file);
}
