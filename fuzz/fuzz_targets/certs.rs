//! Certificate parsing and chain analysis (linkage, signatures, host names) on arbitrary DER.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pcap_rca::fuzzing::certs(data);
});
