//! One frame of any link type: the first two bytes choose the link type.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pcap_rca::fuzzing::frame(data);
});
