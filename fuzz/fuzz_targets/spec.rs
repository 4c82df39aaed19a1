//! Fuzz target `spec`: see `patchbay_fuzz_targets::spec`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| patchbay_fuzz_targets::spec(data));
