//! The whole analysis over arbitrary bytes, as `analyze_bytes` gets them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pcap_rca::fuzzing::analyze(data);
});
