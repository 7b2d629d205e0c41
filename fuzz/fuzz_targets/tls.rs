#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| leakprobe_engine::fuzzing::tls(data));
