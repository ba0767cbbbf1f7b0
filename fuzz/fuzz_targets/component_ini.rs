#![no_main]
//! Arbitrary bytes through the component_ini reader (omslint::fuzzing::run says what "correct" is).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    omslint::fuzzing::run("component_ini", data);
});
