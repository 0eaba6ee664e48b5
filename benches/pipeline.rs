//! Throughput of each stage and of the whole analysis, over a capture generated at bench
//! time (synthetic: many short TCP connections and DNS exchanges, Ethernet, classic pcap).
//! Every bench asserts the packet count it processed, so a broken parser cannot look fast.
//! Stages: container walk, walk + decode, flows, application parsers (DNS, TLS on the real TLS
//! fixtures), detectors and ranking, and the whole analysis at 1 and 2 threads.
//!
//! Run: `cargo bench --bench pipeline` (add `-- --quick` for a fast look).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pcap_rca::capture::{Batch, FrameReader, Input};
use pcap_rca::{Config, decode};

/// Builds a pcap with `flows` TCP connections (handshake, 6 data segments, FIN exchange) and
/// one DNS query/answer per 4 connections.
fn generate(flows: u32) -> (Vec<u8>, u64) {
    let mut out = Vec::with_capacity(flows as usize * 5000);
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    let mut n = 0u64;
    let mut t_us: u64 = 1_772_352_000_000_000;
    let mut rec = |out: &mut Vec<u8>, frame: &[u8], t_us: u64| {
        out.extend_from_slice(&((t_us / 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((t_us % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(frame);
        n += 1;
    };
    let payload = vec![0x41u8; 1400];
    for i in 0..flows {
        let client = [10, 1, (i >> 8) as u8, i as u8];
        let server = [10, 0, 0, 5 + (i % 7) as u8];
        let cport = 20000 + (i % 40000) as u16;
        let sport = if i % 3 == 0 { 443 } else { 8081 };
        let (mut cseq, mut sseq) = (1000u32.wrapping_mul(i), 7000u32.wrapping_mul(i));
        let mut seg =
            |out: &mut Vec<u8>, c2s: bool, flags: u8, len: usize, seq: u32, ack: u32, t| {
                let (src, dst, sp, dp) = if c2s {
                    (client, server, cport, sport)
                } else {
                    (server, client, sport, cport)
                };
                rec(
                    out,
                    &tcp_frame(src, dst, sp, dp, seq, ack, flags, &payload[..len]),
                    t,
                );
            };
        seg(&mut out, true, 0x02, 0, cseq, 0, t_us);
        cseq += 1;
        seg(&mut out, false, 0x12, 0, sseq, cseq, t_us + 100);
        sseq += 1;
        seg(&mut out, true, 0x10, 0, cseq, sseq, t_us + 200);
        for k in 0..3 {
            let len = 200 + (i as usize * 37 + k * 101) % 1200;
            seg(&mut out, true, 0x18, len, cseq, sseq, t_us + 300 + k as u64);
            cseq += len as u32;
            seg(
                &mut out,
                false,
                0x18,
                1400,
                sseq,
                cseq,
                t_us + 400 + k as u64,
            );
            sseq += 1400;
        }
        seg(&mut out, true, 0x11, 0, cseq, sseq, t_us + 500);
        seg(&mut out, false, 0x11, 0, sseq, cseq + 1, t_us + 600);
        seg(&mut out, true, 0x10, 0, cseq + 1, sseq + 1, t_us + 700);
        if i % 4 == 0 {
            rec(
                &mut out,
                &udp_frame(client, [10, 0, 0, 53], cport, 53, 40),
                t_us + 50,
            );
            rec(
                &mut out,
                &udp_frame([10, 0, 0, 53], client, 53, cport, 56),
                t_us + 80,
            );
        }
        t_us += 150;
    }
    (out, n)
}

fn ip_header(src: [u8; 4], dst: [u8; 4], proto: u8, len: usize) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 0x05, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00];
    let total = (20 + len) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f
}

#[allow(clippy::too_many_arguments)]
fn tcp_frame(
    src: [u8; 4],
    dst: [u8; 4],
    sp: u16,
    dp: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut f = ip_header(src, dst, 6, 20 + payload.len());
    f.extend_from_slice(&sp.to_be_bytes());
    f.extend_from_slice(&dp.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[0x50, flags, 0xfa, 0xf0, 0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

fn udp_frame(src: [u8; 4], dst: [u8; 4], sp: u16, dp: u16, len: usize) -> Vec<u8> {
    let mut f = ip_header(src, dst, 17, 8 + len);
    f.extend_from_slice(&sp.to_be_bytes());
    f.extend_from_slice(&dp.to_be_bytes());
    f.extend_from_slice(&((8 + len) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend(std::iter::repeat_n(0u8, len));
    f
}

fn walk(bytes: &[u8], decode_too: bool) -> u64 {
    let input = Input::Bytes {
        name: "bench".into(),
        data: bytes,
    };
    let mut r = FrameReader::open(&input).unwrap();
    let mut b = Batch::default();
    let mut n = 0u64;
    while r.next_batch(&mut b).unwrap() {
        for f in &b.frames {
            if decode_too {
                let p = decode::decode(
                    0,
                    f.number,
                    f.ts_ns,
                    f.linktype,
                    b.data(f),
                    f.origlen,
                    false,
                );
                black_box(&p);
            }
            n += 1;
        }
    }
    n
}

/// Every frame of `bytes`, decoded, with its data.
fn all_frames(bytes: &[u8]) -> Vec<(decode::Packet, Vec<u8>)> {
    let input = Input::Bytes {
        name: "bench".into(),
        data: bytes,
    };
    let mut r = FrameReader::open(&input).unwrap();
    let mut b = Batch::default();
    let mut out = Vec::new();
    while r.next_batch(&mut b).unwrap() {
        for f in &b.frames {
            let data = b.data(f).to_vec();
            let p = decode::decode(0, f.number, f.ts_ns, f.linktype, &data, f.origlen, false);
            out.push((p, data));
        }
    }
    out
}

/// Both directions of every TLS connection in the real TLS fixtures (handshakes with
/// certificates, alerts, encrypted records), as byte streams.
fn tls_streams() -> Vec<Vec<u8>> {
    let mut streams = std::collections::BTreeMap::<(String, u16, u16), Vec<u8>>::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    for name in [
        "tls-ok-12.pcap",
        "tls-expired-leaf.pcap",
        "tls-weak-dh.pcap",
    ] {
        let bytes = std::fs::read(format!("{dir}/{name}")).unwrap();
        for (p, d) in all_frames(&bytes) {
            if let Some(t) = p.tcp() {
                let payload = p.payload(&d);
                if !payload.is_empty() {
                    streams
                        .entry((name.to_string(), t.src_port, t.dst_port))
                        .or_default()
                        .extend_from_slice(payload);
                }
            }
        }
    }
    streams.into_values().collect()
}

fn benches(c: &mut Criterion) {
    let (bytes, packets) = generate(12_000);
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("container_walk", |b| {
        b.iter(|| assert_eq!(walk(&bytes, false), packets))
    });
    g.bench_function("walk_and_decode", |b| {
        b.iter(|| assert_eq!(walk(&bytes, true), packets))
    });
    for threads in [1, 2] {
        g.bench_function(format!("analyze_{threads}_thread"), |b| {
            let mut cfg = Config::default();
            cfg.threads = threads;
            b.iter(|| {
                let r = pcap_rca::analyze_bytes(&bytes, &cfg).unwrap();
                assert_eq!(r.captures[0].packets, packets);
                black_box(r)
            })
        });
    }
    // The same capture from a file (the CLI's case: reading costs a kernel copy, done by a
    // reader thread when there are two threads or more).
    let file = std::env::temp_dir().join(format!("pcap-rca-bench-{}.pcap", std::process::id()));
    std::fs::write(&file, &bytes).unwrap();
    for threads in [1, 2] {
        g.bench_function(format!("analyze_file_{threads}_thread"), |b| {
            let mut cfg = Config::default();
            cfg.threads = threads;
            b.iter(|| {
                let r = pcap_rca::analyze_path(&file, &cfg).unwrap();
                assert_eq!(r.captures[0].packets, packets);
                black_box(r)
            })
        });
    }
    let _ = std::fs::remove_file(&file);
    g.finish();

    // Later stages alone, each on inputs prepared outside the timed loop.
    let frames = all_frames(&bytes);
    let mut g = c.benchmark_group("stages");
    g.sample_size(10);
    g.throughput(Throughput::Elements(packets));
    g.bench_function("flows", |b| {
        b.iter(|| {
            let mut t = pcap_rca::flow::FlowTable::new(Default::default());
            let mut n = 0u64;
            for (p, data) in &frames {
                if let Some((k, s, d)) = pcap_rca::flow::flow_tuple(p) {
                    t.add(p, p.payload(data), k, s, d);
                }
                n += 1;
            }
            t.finish_all();
            assert_eq!(n, packets);
            black_box(t.finished.len())
        })
    });
    // Application parsers over every UDP/53 payload (DNS) and every TCP payload (HTTP and
    // TLS recognition and parsing, one stream per direction of each connection).
    let dns: Vec<&[u8]> = frames
        .iter()
        .filter(|(p, _)| {
            p.udp()
                .is_some_and(|u| u.src_port == 53 || u.dst_port == 53)
        })
        .map(|(p, d)| p.payload(d))
        .collect();
    let tls = tls_streams();
    let app_bytes: usize =
        dns.iter().map(|d| d.len()).sum::<usize>() + tls.iter().map(|s| s.len()).sum::<usize>();
    g.throughput(Throughput::Bytes(app_bytes as u64));
    g.bench_function("application_parsers", |b| {
        b.iter(|| {
            let ok = dns
                .iter()
                .filter(|m| pcap_rca::decode::dns::parse(m).is_ok())
                .count();
            assert_eq!(ok, dns.len());
            let mut items = Vec::new();
            for s in &tls {
                let mut st = pcap_rca::decode::tls::TlsStream::default();
                for seg in s.chunks(1448) {
                    st.push(seg, &mut items);
                }
            }
            assert!(!items.is_empty());
            black_box(items.len())
        })
    });
    let an = pcap_rca::analyze_inputs(
        &[Input::Bytes {
            name: "bench".into(),
            data: &bytes,
        }],
        &Config::default(),
    )
    .unwrap();
    g.throughput(Throughput::Elements(an.flows.len() as u64));
    g.bench_function("detectors_and_ranking", |b| {
        b.iter(|| {
            let r = an.report();
            assert_eq!(r.summary.flows, an.flows.len() as u64);
            black_box(r)
        })
    });
    g.finish();
    let mut g = c.benchmark_group("pipeline_packets");
    g.sample_size(10);
    g.throughput(Throughput::Elements(packets));
    g.bench_function("analyze_2_thread", |b| {
        let mut cfg = Config::default();
        cfg.threads = 2;
        b.iter(|| black_box(pcap_rca::analyze_bytes(&bytes, &cfg).unwrap()))
    });
    g.finish();
}

criterion_group!(pipeline, benches);
criterion_main!(pipeline);
