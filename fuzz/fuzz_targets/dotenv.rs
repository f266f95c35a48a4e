#![no_main]
//! See fuzz/README.md.

libfuzzer_sys::fuzz_target!(|data: &[u8]| conn_config_fuzz::dotenv(data));
