//! Fuzz target `token_response`: see `patchbay_fuzz_targets::token_response`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| patchbay_fuzz_targets::token_response(data));
