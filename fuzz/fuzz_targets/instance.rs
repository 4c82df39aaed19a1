//! Fuzz target `instance`: see `patchbay_fuzz_targets::instance`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| patchbay_fuzz_targets::instance(data));
