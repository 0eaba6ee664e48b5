//! The flow table's idle expiry with 1 k, 100 k and 1 M flows alive: what a batch costs when
//! a few flows are due (or none) among many alive. Expiry looks only at the flows that are
//! due (a deadline heap, see `src/flow/expiry.rs`), so the time per packet should stay
//! nearly flat from 1 k to 1 M flows alive (the rest is cache misses of a bigger table).
//!
//! - `churn`: each packet starts a new UDP flow, time advancing so that as many flows time
//!   out as start: the table stays at its size, and each batch of 1,024 packets ends with
//!   `expire`, which finishes about 1,024 flows (insert + expire).
//! - `touch`: each packet goes to an existing flow, then `expire` at the batch's time finds
//!   nothing due (touch + an expiry with nothing to do).
//!
//! Run: `cargo bench --bench expiry` (add `-- --quick` for a fast look).

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use pcap_rca::decode::{DecodeStatus, Fragment, IpInfo, Network, Packet, Transport, UdpInfo};
use pcap_rca::flow::{FlowTable, flow_tuple};

/// Packets per batch (between two calls to `expire`).
const BATCH: u64 = 1024;
/// Zeek's UDP idle timeout, the default.
const UDP_NS: i64 = 60_000_000_000;

/// A one-way UDP packet of flow `i` at `ts_ns` (a client of its own talking to one server).
fn packet(i: u64, ts_ns: i64) -> Packet {
    Packet {
        capture: 0,
        frame: i + 1,
        ts_ns,
        caplen: 60,
        wire_len: 60,
        linktype: 1,
        status: DecodeStatus::Decoded,
        vlan: None,
        eth_src: None,
        net: Network::Ip(IpInfo {
            src: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + (i >> 4) as u32)),
            dst: IpAddr::V4(Ipv4Addr::new(192, 168, 0, 1)),
            ttl: 64,
            ip_id: 0,
            ip_len: 46,
            fragment: Fragment::None,
            has_options: false,
            transport: Transport::Udp(UdpInfo {
                src_port: 40_000 + (i & 15) as u16,
                dst_port: 9_999,
                payload_len: 18,
            }),
        }),
        payload_off: 42,
        payload_caplen: 0,
    }
}

fn add(t: &mut FlowTable, p: &Packet) {
    let (key, src, dst) = flow_tuple(p).expect("a UDP packet has a flow");
    t.add(p, &[], key, src, dst);
}

/// A table holding `alive` flows started one every `gap_ns`, the last at `gap_ns * alive`.
fn table(alive: u64, gap_ns: i64) -> FlowTable {
    let mut t = FlowTable::new(Default::default());
    for i in 0..alive {
        add(&mut t, &packet(i, (i as i64 + 1) * gap_ns));
        if (i + 1) % BATCH == 0 {
            t.expire((i as i64 + 1) * gap_ns);
        }
    }
    t.expire(alive as i64 * gap_ns);
    assert_eq!(t.peak_flows as u64, alive);
    t
}

fn benches(c: &mut Criterion) {
    for (name, alive) in [("1k", 1_000u64), ("100k", 100_000), ("1M", 1_000_000)] {
        let mut g = c.benchmark_group(format!("expiry_{name}_alive"));
        g.throughput(Throughput::Elements(BATCH));
        g.sample_size(20);
        // Flows start at the rate that keeps `alive` of them within the UDP timeout.
        let gap_ns = UDP_NS / alive as i64;
        let mut t = table(alive, gap_ns);
        let mut next = alive;
        g.bench_function("churn", |b| {
            b.iter(|| {
                let end = next + BATCH;
                for i in next..end {
                    add(&mut t, &packet(i, (i as i64 + 1) * gap_ns));
                }
                next = end;
                t.expire(next as i64 * gap_ns);
                // Keep the finished records from piling up across iterations.
                black_box(t.finished.len());
                t.finished.clear();
            })
        });
        drop(t);
        let mut t = table(alive, gap_ns);
        let now = alive as i64 * gap_ns;
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        g.bench_function("touch", |b| {
            b.iter_batched_ref(
                || {
                    (0..BATCH)
                        .map(|_| {
                            x ^= x << 13;
                            x ^= x >> 7;
                            x ^= x << 17;
                            packet(x % alive, now)
                        })
                        .collect::<Vec<_>>()
                },
                |ps| {
                    for p in ps.iter() {
                        add(&mut t, p);
                    }
                    t.expire(now);
                },
                BatchSize::SmallInput,
            )
        });
        assert_eq!(t.finished.len(), 0);
        g.finish();
    }
}

criterion_group!(expiry, benches);
criterion_main!(expiry);
