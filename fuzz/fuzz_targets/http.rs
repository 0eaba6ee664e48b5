//! The HTTP/1.x head parser and body framing, on arbitrary bytes split arbitrarily.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pcap_rca::fuzzing::http(data);
});
